// Numbers and units as people read them on axes, colorbars and read-outs.

const SUPERSCRIPT = {
  "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
};

const superscript = (digits) => [...String(digits)].map((c) => SUPERSCRIPT[c]).join("");

// yt/unyt unit strings for display: "g/cm**3" -> "g/cm³", "cm**(-2)" -> "cm⁻²",
// "K*cm" -> "K·cm"; "dimensionless" (and empty) -> "".
export function prettyUnits(units) {
  if (!units || units === "dimensionless") return "";
  return units
    .replace(/\*\*\(?(-?\d+)\)?/g, (_, p) => superscript(p))
    .replace(/\*/g, "·");
}

// Four significant digits in [1e-3, 1e4), else "m×10ᵉ" with m to 3 digits
// ("10ᵉ" alone when m is 1): short enough for a tick label.
export function formatNumber(v) {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "∞" : "−∞";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(4)));
  const [m, e] = v.toExponential(2).split("e");
  const power = `10${superscript(Number(e))}`;
  if (Number(m) === 1) return power;
  if (Number(m) === -1) return `−${power}`;
  return `${Number(m)}×${power}`;
}
