"""The site kit: everything that turns a folder of notebooks and data into a
static ytlite site (JupyterLite with the offline Pyodide kernel, the kiosk
viewer page, the gallery).

``jupyterlite``  the JupyterLite site: apps, self-hosted Pyodide core, kernel
                 wheels and their lock, contents, the checks of the result
``kernel_wheels`` the kernel's wheels rewritten for a faster start (.pyc
                 compiled inside Pyodide: ``precompile.mjs``; lazy imports)
``cdn_hint``     the kernel-side module saying why a package of Pyodide's CDN
                 cannot be had (shipped in the site as a small boot wheel)
``kiosk``        the viewer page with no Python (``view/``) and the site's datasets
``gallery``      the gallery page (``gallery/``): thumbnails drawn at build time
                 with yt and matplotlib; its HTML, CSS and JS in ``templates/``
``_steps``       the logger, command runner and cached folder every step uses

Native CPython only (the build runs yt, matplotlib and jupyterlite-core); none
of it is imported by ``import ytlite`` nor shipped to the kernel.
"""
