//! What a deposit will cost, before it runs: the number of cells the
//! deposit will visit for a view, read from the culling index (the blocks of
//! [`BLOCK`] consecutive cells whose bounding box meets the view; see
//! [`crate::variable_mesh`]). The front end multiplies it by measured
//! per-cell and per-pixel costs to decide, per frame, whether the exact
//! image can be drawn at once or a preview must show while the view moves.
//!
//! It is an upper bound of the cells the deposit visits without periodicity
//! (the deposit culls with the same boxes, then tests each cell), and an
//! estimate with periodicity (the boxes are also tested shifted by one
//! period either way).

use crate::bounds::Bounds;
use crate::error::Result;
use crate::variable_mesh::{VariableMesh, BLOCK};

fn meets(b: &[f64; 4], view: &Bounds, sx: f64, sy: f64) -> bool {
    !(b[1] + sx < view.x_min || b[0] + sx > view.x_max || b[3] + sy < view.y_min || b[2] + sy > view.y_max)
}

fn inside(b: &[f64; 4], view: &Bounds, sx: f64, sy: f64) -> bool {
    b[0] + sx >= view.x_min && b[1] + sx <= view.x_max && b[2] + sy >= view.y_min && b[3] + sy <= view.y_max
}

/// Cells in the blocks whose box meets `view` (or, with `period`, one of its
/// periodic images). Validates the mesh first if its geometry changed.
pub fn cells_in_view(mesh: &VariableMesh, view: Bounds, period: Option<[f64; 2]>) -> Result<usize> {
    let index = mesh.block_index()?;
    let n = mesh.len();
    let shifts: Vec<(f64, f64)> = match period {
        None => vec![(0.0, 0.0)],
        Some([px, py]) => [-px, 0.0, px].iter().flat_map(|&sx| [-py, 0.0, py].map(move |sy| (sx, sy))).collect(),
    };
    let may = |b: &[f64; 4]| shifts.iter().any(|&(sx, sy)| meets(b, &view, sx, sy));
    let mut count = 0;
    for (g, b2) in index.level2.iter().enumerate() {
        if !may(b2) {
            continue;
        }
        let b1_lo = g * BLOCK;
        let b1_hi = (b1_lo + BLOCK).min(index.level1.len());
        // A group whose box lies inside the view (one image of it) counts whole: each of its blocks' boxes,
        // inside the group's (never empty: validated cells are finite), meets the view too. (A view over
        // most of the mesh then costs a test per group, not per block: it is asked for every frame.)
        if shifts.iter().any(|&(sx, sy)| inside(b2, &view, sx, sy)) {
            count += (b1_hi * BLOCK).min(n) - b1_lo * BLOCK;
            continue;
        }
        for b in b1_lo..b1_hi {
            if may(&index.level1[b]) {
                count += ((b + 1) * BLOCK).min(n) - b * BLOCK;
            }
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 100 x 100 grid of unit cells over [0, 100]^2, row by row.
    fn grid() -> VariableMesh {
        let (mut px, mut py) = (vec![], vec![]);
        for j in 0..100 {
            for i in 0..100 {
                px.push(i as f64 + 0.5);
                py.push(j as f64 + 0.5);
            }
        }
        let n = px.len();
        VariableMesh::new(px, py, vec![0.5; n], vec![0.5; n], vec![1.0; n]).unwrap()
    }

    #[test]
    fn counts_the_blocks_a_view_meets() {
        let m = grid();
        assert_eq!(cells_in_view(&m, Bounds::new(0.0, 100.0, 0.0, 100.0), None).unwrap(), 10_000);
        // rows 0..1 (y < 1): cells 0..100 live in blocks 0 and 1 (0..128)
        assert_eq!(cells_in_view(&m, Bounds::new(0.0, 100.0, 0.2, 0.8), None).unwrap(), 128);
        assert_eq!(cells_in_view(&m, Bounds::new(200.0, 300.0, 0.0, 100.0), None).unwrap(), 0);
        // a periodic image brings the far side back
        assert_eq!(cells_in_view(&m, Bounds::new(100.2, 100.8, 0.2, 0.8), Some([100.0, 100.0])).unwrap(), 128);
    }

    /// The count, block by block: the blocks whose box meets the view (or one of its periodic images).
    fn block_by_block(mesh: &VariableMesh, view: Bounds, period: Option<[f64; 2]>) -> usize {
        let index = mesh.block_index().unwrap();
        let shifts: Vec<(f64, f64)> = match period {
            None => vec![(0.0, 0.0)],
            Some([px, py]) => [-px, 0.0, px].iter().flat_map(|&sx| [-py, 0.0, py].map(move |sy| (sx, sy))).collect(),
        };
        (0..index.level1.len())
            .filter(|&b| shifts.iter().any(|&(sx, sy)| meets(&index.level1[b], &view, sx, sy)))
            .map(|b| ((b + 1) * BLOCK).min(mesh.len()) - b * BLOCK)
            .sum()
    }

    #[test]
    fn whole_groups_inside_the_view_count_as_their_blocks_do() {
        use crate::testing::{random_cells, Rng};
        let mut rng = Rng(0x5eed_c057);
        for (n, coherent) in [(1, true), (64 * 64 + 1, true), (64 * 64 * 3 + 17, true), (20_000, false), (50_000, true)] {
            let [px, py, pdx, pdy, v] = random_cells(&mut rng, n, coherent, false);
            let mesh = VariableMesh::new(px, py, pdx, pdy, v).unwrap();
            let mut views = vec![Bounds::new(-10.0, 10.0, -10.0, 10.0), Bounds::new(0.0, 1.0, 0.0, 1.0)];
            // one edge across the cells, the others far out: groups inside, across that edge, outside
            for t in [0.1, 0.37, 0.5, 0.93] {
                views.extend([Bounds::new(-10.0, t, -10.0, 10.0), Bounds::new(t, 10.0, -10.0, 10.0)]);
                views.extend([Bounds::new(-10.0, 10.0, -10.0, t), Bounds::new(-10.0, 10.0, t, 10.0)]);
            }
            for _ in 0..60 {
                let (x, y, w, h) = (rng.next() * 1.4 - 0.2, rng.next() * 1.4 - 0.2, rng.next() * 0.8 + 1e-9, rng.next() * 0.8 + 1e-9);
                views.push(Bounds::new(x, x + w, y, y + h));
            }
            for view in views {
                for period in [None, Some([1.0, 1.0]), Some([0.5, 2.0])] {
                    assert_eq!(cells_in_view(&mesh, view, period).unwrap(), block_by_block(&mesh, view, period), "{n} {view:?} {period:?}");
                }
            }
        }
    }
}
