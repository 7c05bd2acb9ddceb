//! Native runner for ytlite's benchmark (`bench/run.py` drives it).
//!
//!     cargo run --release --example bench_native -- spec.txt
//!
//! Runs the same engine as the wasm build (`FixedResolutionBuffer::deposit`
//! + `shade`), natively, on raw little-endian f64 files, with the same frame
//! protocol as the browser page (`bench/page/bench.mjs`) and yt runner
//! (`bench/run.py`). The spec is a text file, one command per line
//! (whitespace separated; `#` comments):
//!
//! ```text
//! mesh <name> <dir>                      load <dir>/{px,py,pdx,pdy,values}.f64
//! cmap <name> <lut file> <bad r g b a> <under r g b a> <over r g b a>
//! case <id> <mesh> <w> <h> <kind> <x0> <x1> <y0> <y1> <min reps> <max reps> <budget s>
//! ```
//!
//! `kind` is `frame` (deposit + shade of the same view), `pan` (deposit +
//! shade, the view moving every frame on a circle of radius 5 % of the view
//! size, 16 frames per turn) or `cmap` (shade only, alternating the colormaps
//! `viridis` / `magma`; the buffer is deposited once before). Log
//! normalization with automatic limits, antialiased deposit, no periodicity.
//! Profiling kinds: `range` (= `frame`, but the shade part is only
//! `value_range(true)`, the automatic-limit scan that `shade` starts with)
//! and `fill` (= `frame` with a plain, not antialiased, deposit).
//!
//! Repetitions: warm-up frames until 2 are done and 0.25 s spent (at most
//! 20; 1 if the first takes > 200 ms), then frames until `max reps`, or until
//! `min reps` are done and `budget` seconds spent.
//!
//! Output, one line per command, to stdout:
//!
//! ```text
//! mesh <name> <n cells> <load ms>
//! case <id> <reps> <total ms> <deposit ms> <shade ms> <checksum>
//! ```
//! (medians; checksum = FNV-1a 32 of the RGBA bytes of the last frame).

use std::collections::HashMap;
use std::f64::consts::PI;
use std::fs;
use std::io::Write;
use std::time::Instant;

use ytlite_pixelizer::{Bounds, Colormap, FixedResolutionBuffer, Normalization, VariableMesh};

fn read_f64(path: &str) -> Vec<f64> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    assert!(bytes.len() % 8 == 0, "{path}: not a multiple of 8 bytes");
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    h
}

/// The view of pan frame `k` (same formula in bench.mjs and run.py).
fn pan_view(b: [f64; 4], k: usize) -> [f64; 4] {
    let a = 2.0 * PI * (k % 16) as f64 / 16.0;
    let dx = 0.05 * (b[1] - b[0]) * a.cos();
    let dy = 0.05 * (b[3] - b[2]) * a.sin();
    [b[0] + dx, b[1] + dx, b[2] + dy, b[3] + dy]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let spec_path = std::env::args().nth(1).expect("usage: bench_native spec.txt");
    let spec = fs::read_to_string(&spec_path).expect("cannot read the spec");
    let mut meshes: HashMap<String, VariableMesh> = HashMap::new();
    let mut cmaps: HashMap<String, Colormap> = HashMap::new();
    let mut frbs: HashMap<(usize, usize), FixedResolutionBuffer> = HashMap::new();
    let norm = Normalization::log(None, None).unwrap();
    let out = std::io::stdout();
    let mut out = out.lock();

    for line in spec.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        match f[0] {
            "mesh" => {
                let (name, dir) = (f[1], f[2]);
                meshes.clear(); // one big mesh at a time
                let arrays: Vec<Vec<f64>> = ["px", "py", "pdx", "pdy", "values"]
                    .iter()
                    .map(|a| read_f64(&format!("{dir}/{a}.f64")))
                    .collect();
                let t = Instant::now();
                let mesh = VariableMesh::from_slices(&arrays[0], &arrays[1], &arrays[2], &arrays[3], &arrays[4])
                    .expect("invalid mesh");
                let load = ms(t);
                writeln!(out, "mesh {name} {} {load:.4}", mesh.len()).unwrap();
                meshes.insert(name.to_string(), mesh);
            }
            "cmap" => {
                let lut = fs::read(f[2]).expect("cannot read the LUT");
                let mut c = Colormap::new(&lut).expect("invalid LUT");
                let rgba = |i: usize| -> [u8; 4] {
                    [0, 1, 2, 3].map(|k| f[i + k].parse::<u8>().expect("bad colour"))
                };
                c.set_bad(rgba(3));
                c.set_under(rgba(7));
                c.set_over(rgba(11));
                cmaps.insert(f[1].to_string(), c);
                writeln!(out, "cmap {}", f[1]).unwrap();
            }
            "case" => {
                let id = f[1];
                let mesh = &meshes[f[2]];
                let w: usize = f[3].parse().unwrap();
                let h: usize = f[4].parse().unwrap();
                let kind = f[5];
                let p = |i: usize| -> f64 { f[i].parse().unwrap() };
                let base = [p(6), p(7), p(8), p(9)];
                let min_reps: usize = f[10].parse().unwrap();
                let max_reps: usize = f[11].parse().unwrap();
                let budget_ms = p(12) * 1e3;
                let frb = frbs
                    .entry((w, h))
                    .or_insert_with(|| FixedResolutionBuffer::new(w, h).unwrap());
                let viridis = &cmaps["viridis"];
                let magma = &cmaps["magma"];
                let bounds = |v: [f64; 4]| Bounds::new(v[0], v[1], v[2], v[3]);
                if kind == "cmap" {
                    frb.deposit(mesh, bounds(base), true).unwrap();
                }
                // one frame -> (deposit ms, shade ms)
                let frame = |k: usize, frb: &mut FixedResolutionBuffer| -> (f64, f64) {
                    let t0 = Instant::now();
                    let mut dep = 0.0;
                    match kind {
                        "frame" | "range" => {
                            frb.deposit(mesh, bounds(base), true).unwrap();
                            dep = ms(t0);
                        }
                        "fill" => {
                            frb.deposit(mesh, bounds(base), false).unwrap();
                            dep = ms(t0);
                        }
                        "pan" => {
                            frb.deposit(mesh, bounds(pan_view(base, k)), true).unwrap();
                            dep = ms(t0);
                        }
                        "cmap" => {}
                        other => panic!("unknown kind {other}"),
                    }
                    let t1 = Instant::now();
                    let cm = if kind == "cmap" && k % 2 == 1 { magma } else { viridis };
                    // a fully uncovered view has no valid value: time it anyway
                    match kind {
                        "range" => {
                            let _ = frb.value_range(true);
                        }
                        _ => {
                            let _ = frb.shade(cm, &norm);
                        }
                    }
                    (dep, ms(t1))
                };
                let (d0, s0) = frame(0, frb);
                let mut k = 1;
                if d0 + s0 < 200.0 {
                    let warm = Instant::now();
                    loop {
                        frame(k, frb);
                        k += 1;
                        if k >= 20 || ms(warm) >= 250.0 {
                            break;
                        }
                    }
                }
                let (mut tot, mut dep, mut sh) = (Vec::new(), Vec::new(), Vec::new());
                let start = Instant::now();
                while tot.len() < max_reps && !(tot.len() >= min_reps && ms(start) > budget_ms) {
                    let (d, s) = frame(k, frb);
                    k += 1;
                    tot.push(d + s);
                    dep.push(d);
                    sh.push(s);
                }
                let n = tot.len();
                writeln!(
                    out,
                    "case {id} {n} {:.5} {:.5} {:.5} {}",
                    median(&mut tot),
                    median(&mut dep),
                    median(&mut sh),
                    fnv1a(frb.rgba())
                )
                .unwrap();
            }
            other => panic!("unknown command {other}"),
        }
        out.flush().unwrap();
    }
}
