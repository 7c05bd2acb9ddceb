//! What splitting a deposit into row bands costs (`bench/bands.py` drives it).
//!
//! ```text
//! cargo run --release --example bench_bands -- <dir> <width> <height> <reps> <bands,...> <view>...
//! ```
//!
//! `<dir>` holds `{px,py,pdx,pdy,values}.f64` (raw little-endian f64); each
//! `<view>` is `name:x0:x1:y0:y1`. For every view, the median of `reps`
//! frames of: the whole antialiased deposit (`FixedResolutionBuffer::deposit`),
//! and for each band count K the K bands deposited one after the other
//! (`RowBand::deposit_rows`, one reused `RowBand` per band, as K workers
//! would hold), with the slowest single band (the critical path if the K
//! bands ran in parallel on K cores). Checks that the bands, put together,
//! are the whole image bit for bit. One line per result:
//!
//! ```text
//! whole <view> <ms>
//! bands <view> <K> <sum ms> <max band ms> <sum / whole> <max / whole> <same bits: 1|0>
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

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(args.len() >= 7, "usage: bench_bands <dir> <width> <height> <reps> <bands,...> <view>...");
    let dir = &args[1];
    let (w, h): (usize, usize) = (args[2].parse().unwrap(), args[3].parse().unwrap());
    let reps: usize = args[4].parse().unwrap();
    let counts: Vec<usize> = args[5].split(',').map(|k| k.parse().unwrap()).collect();
    let a = |n: &str| read_f64(&format!("{dir}/{n}.f64"));
    let mesh = VariableMesh::new(a("px"), a("py"), a("pdx"), a("pdy"), a("values")).unwrap();
    let mut frb = FixedResolutionBuffer::new(w, h).unwrap();
    for view in &args[6..] {
        let p: Vec<&str> = view.split(':').collect();
        let f = |k: usize| p[k].parse::<f64>().unwrap();
        let b = Bounds::new(f(1), f(2), f(3), f(4));
        let name = p[0];
        let mut t_whole = vec![];
        for _ in 0..reps + 2 {
            let t = Instant::now();
            frb.deposit(&mesh, b, true).unwrap();
            t_whole.push(ms(t));
        }
        let whole = median(t_whole.split_off(2));
        println!("whole {name} {whole:.3}");
        let expected: Vec<u64> = frb.values().iter().map(|v| v.to_bits()).collect();
        for &k in &counts {
            let step = h.div_ceil(k);
            let rows: Vec<(usize, usize)> = (0..h).step_by(step).map(|r| (r, (r + step).min(h))).collect();
            let mut bands: Vec<RowBand> = rows.iter().map(|_| RowBand::new()).collect();
            let (mut sums, mut maxes) = (vec![], vec![]);
            let mut same = true;
            for rep in 0..reps + 2 {
                let (mut sum, mut max) = (0.0f64, 0.0f64);
                for (band, &(r0, r1)) in bands.iter_mut().zip(&rows) {
                    let t = Instant::now();
                    band.deposit_rows(&mesh, b, w, h, r0, r1, true).unwrap();
                    let dt = ms(t);
                    sum += dt;
                    max = max.max(dt);
                }
                if rep == 0 {
                    for (band, &(r0, r1)) in bands.iter().zip(&rows) {
                        same &= band.values().iter().map(|v| v.to_bits()).eq(expected[r0 * w..r1 * w].iter().copied());
                    }
                }
                if rep >= 2 {
                    sums.push(sum);
                    maxes.push(max);
                }
            }
            let (s, m) = (median(sums), median(maxes));
            println!("bands {name} {} {s:.3} {m:.3} {:.3} {:.3} {}", rows.len(), s / whole, m / whole, same as u8);
        }
    }
}
