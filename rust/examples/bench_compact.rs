//! The compact mesh against the f64 one (`bench/compact.py` drives it).
//!
//! ```text
//! cargo run --release --example bench_compact -- <dir> <width> <height> <reps> <view>...
//! ```
//!
//! `<dir>` holds `{px,py,pdx,pdy,values}.f64` (raw little-endian f64); each
//! `<view>` is `name:x0:x1:y0:y1`. Builds the mesh twice (f64 storage, and
//! compacted with `VariableMesh::compact`), then for every view the median of
//! `reps` antialiased deposits of each (interleaved, same buffer size), and
//! a bit-for-bit comparison of the two images (and of a row band). Output:
//!
//! ```text
//! mesh <cells> <f64 bytes/cell> <compact bytes/cell> <geometry kind> <values kind> <compact ms>
//! float32 <compact bytes/cell with the values rounded to f32 (extract --float32)>
//! view <name> <f64 ms> <compact ms> <compact / f64> <same bits: 1|0>
//! ```

use std::fs;
use std::time::Instant;

use ytlite_pixelizer::{Bounds, FixedResolutionBuffer, RowBand, VariableMesh};

fn read_f64(path: &str) -> Vec<f64> {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 5 {
        eprintln!("usage: bench_compact <dir> <width> <height> <reps> <name:x0:x1:y0:y1>...");
        std::process::exit(2);
    }
    let dir = &args[0];
    let (w, h): (usize, usize) = (args[1].parse().unwrap(), args[2].parse().unwrap());
    let reps: usize = args[3].parse().unwrap();
    let a = |k: &str| read_f64(&format!("{dir}/{k}.f64"));
    let mesh = VariableMesh::new(a("px"), a("py"), a("pdx"), a("pdy"), a("values")).unwrap();
    let mut compact = mesh.clone();
    let t = Instant::now();
    compact.compact().unwrap();
    let compact_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "mesh {} {:.3} {:.3} {} {} {:.1}",
        mesh.len(),
        mesh.bytes_per_cell(),
        compact.bytes_per_cell(),
        compact.geometry_kind(),
        compact.values_kind(),
        compact_ms
    );
    {
        let mut m32 = compact.clone();
        let v: Vec<f64> = m32.array_copy("values").unwrap().iter().map(|&x| x as f32 as f64).collect();
        m32.set_values(&v).unwrap();
        println!("float32 {:.3}", m32.bytes_per_cell());
    }
    let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
    let mut band = RowBand::new();
    for v in &args[4..] {
        let p: Vec<&str> = v.split(':').collect();
        let f: Vec<f64> = p[1..5].iter().map(|s| s.parse().unwrap()).collect();
        let b = Bounds::new(f[0], f[1], f[2], f[3]);
        let (mut t64, mut tc) = (vec![], vec![]);
        for r in 0..reps + 2 {
            let s = Instant::now();
            frb.deposit(&mesh, b, true).unwrap();
            let d64 = s.elapsed().as_secs_f64() * 1e3;
            let s = Instant::now();
            frb.deposit(&compact, b, true).unwrap();
            let dc = s.elapsed().as_secs_f64() * 1e3;
            if r >= 2 {
                t64.push(d64);
                tc.push(dc);
            }
        }
        frb.deposit(&mesh, b, true).unwrap();
        let whole = frb.values().to_vec();
        frb.deposit(&compact, b, true).unwrap();
        let mut ok = same(&whole, frb.values());
        let (r0, r1) = (h / 3, h / 3 + h / 4 + 1);
        band.deposit_rows(&compact, b, w, h, r0, r1, true).unwrap();
        ok &= same(&whole[r0 * w..r1 * w], band.values());
        let (m64, mc) = (median(t64), median(tc));
        println!("view {} {:.3} {:.3} {:.3} {}", p[0], m64, mc, mc / m64, ok as u8);
    }
}
