/** Stroke geometry: pressure → width, point thinning while drawing, smoothing on finish, scaling. */
import type { ActiveStroke, Stroke, StrokePoint } from './types';

/** Width factor at pressure 0 and 1; linear through ×1 at 0.5 (the spec's "no pressure" value). */
export const PRESSURE_MIN_FACTOR = 0.25;
export const PRESSURE_MAX_FACTOR = 1.75;
/** A new point closer than this fraction of the brush size to the last kept one is dropped. */
export const SPACING_FRACTION = 0.15;
/** …but never require more than this many pixels for thin brushes (floor of the spacing). */
export const MIN_SPACING_PX = 0.5;
/** Chaikin corner-cutting passes applied when a stroke is finished. */
export const SMOOTHING_PASSES = 2;

/**
 * Width for one pointer sample. Only pens carry meaningful pressure: mice report 0.5 while a
 * button is down and touch screens report 0.5 or a vendor "force", so both draw the nominal size.
 * A pen's first sample may report 0; that tapers the start rather than drawing a blob.
 */
export function widthFor(size: number, pressure: number, pointerType: string): number {
  if (pointerType !== 'pen' || !Number.isFinite(pressure)) return size;
  const p = Math.min(1, Math.max(0, pressure));
  const factor = p <= 0.5 ? PRESSURE_MIN_FACTOR + (1 - PRESSURE_MIN_FACTOR) * (p / 0.5) : 1 + (PRESSURE_MAX_FACTOR - 1) * ((p - 0.5) / 0.5);
  return size * factor;
}

export function minSpacing(size: number): number {
  return Math.max(MIN_SPACING_PX, size * SPACING_FRACTION);
}

/** Chaikin corner cutting on (x, y, w), keeping both end points where the user put them. */
export function chaikin(points: readonly StrokePoint[], passes = SMOOTHING_PASSES): StrokePoint[] {
  let pts = points.slice();
  for (let pass = 0; pass < passes && pts.length > 2; pass++) {
    const next: StrokePoint[] = [pts[0]];
    for (let i = 0; i < pts.length - 1; i++) {
      const a = pts[i];
      const b = pts[i + 1];
      next.push(lerpPoint(a, b, 0.25), lerpPoint(a, b, 0.75));
    }
    next.push(pts[pts.length - 1]);
    pts = next;
  }
  return pts;
}

function lerpPoint(a: StrokePoint, b: StrokePoint, t: number): StrokePoint {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, w: a.w + (b.w - a.w) * t };
}

/** Proportional scaling; widths follow the geometric mean so a non-uniform stretch keeps area. */
export function scaleStroke(stroke: Stroke, sx: number, sy: number): Stroke {
  const sw = Math.sqrt(sx * sy);
  return {
    tool: stroke.tool,
    size: stroke.size * sw,
    points: stroke.points.map((p) => ({ x: p.x * sx, y: p.y * sy, w: p.w * sw })),
  };
}

/**
 * The stroke as it will be committed: kept points plus the tail, smoothed, then thinned again
 * (Chaikin quadruples the points; only the ones it adds on long, fast segments matter).
 */
export function finishStroke(active: ActiveStroke): Stroke {
  const points = active.tail ? [...active.points, active.tail] : active.points;
  return { tool: active.tool, size: active.size, points: thin(chaikin(points), minSpacing(active.size)) };
}

/** Drops points closer than `spacing` to the previous kept one; both ends are kept. */
export function thin(points: readonly StrokePoint[], spacing: number): StrokePoint[] {
  if (points.length <= 2) return points.slice();
  const out = [points[0]];
  for (let i = 1; i < points.length - 1; i++) {
    const last = out[out.length - 1];
    if (Math.hypot(points[i].x - last.x, points[i].y - last.y) >= spacing) out.push(points[i]);
  }
  out.push(points[points.length - 1]);
  return out;
}
