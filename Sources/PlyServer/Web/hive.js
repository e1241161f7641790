// hive.js: the Hive board. The server's position text has no fixed coordinates, so the
// board is rebuilt from the match's UHP move history: every piece's hex and every stack.
import { s, h, board } from "./svg.js";

export const id = "hive";

const BUGS = ["Q", "S1", "S2", "B1", "B2", "G1", "G2", "G3", "A1", "A2", "A3", "M", "L", "P"];
const NAMES = { Q: "Queen", S: "Spider", B: "Beetle", G: "Grasshopper", A: "Ant", M: "Mosquito", L: "Ladybug", P: "Pillbug" };
/** Axial steps (q, r) in UHP's direction order: upper-left, upper-right, right, lower-right,
 *  lower-left, left (pointy-top hexes). */
const STEPS = [[0, -1], [1, -1], [1, 0], [0, 1], [-1, 1], [-1, 0]];

const key = (q, r) => `${q},${r}`;
const canonical = (p) => p[0].toLowerCase() + p[1].toUpperCase() + p.slice(2);

/** stacks: cell key -> piece names bottom to top; at: piece -> cell key. */
export function initial(settings = {}) {
  const letters = settings.expansions ?? "";
  const pieces = BUGS.filter((b) => b.length > 1 || b === "Q" || letters.includes(b));
  return { stacks: {}, at: {}, pieces, ply: 0 };
}

/** Where a UHP move puts its piece: {piece, cell} (null for a pass or bad text). */
export function target(state, move) {
  const parts = move.trim().split(/\s+/);
  if (parts[0].toLowerCase() === "pass") return null;
  const piece = canonical(parts[0]);
  if (parts.length === 1) return { piece, cell: key(0, 0) };
  let ref = parts[1], dir = null;
  const before = { "\\": 0, "/": 4, "-": 5 }, after = { "/": 1, "-": 2, "\\": 3 };
  if (ref[0] in before) { dir = before[ref[0]]; ref = ref.slice(1); }
  else if (ref[ref.length - 1] in after) { dir = after[ref[ref.length - 1]]; ref = ref.slice(0, -1); }
  const base = state.at[canonical(ref)];
  if (base === undefined) return null;
  if (dir === null) return { piece, cell: base, climb: true };
  const [q, r] = base.split(",").map(Number);
  return { piece, cell: key(q + STEPS[dir][0], r + STEPS[dir][1]) };
}

export function play(state, move) {
  const next = { stacks: { ...state.stacks }, at: { ...state.at }, pieces: state.pieces, ply: state.ply + 1 };
  const t = target(state, move);
  if (!t) return next;
  const from = next.at[t.piece];
  if (from !== undefined) {
    next.stacks[from] = next.stacks[from].filter((p) => p !== t.piece);
    if (!next.stacks[from].length) delete next.stacks[from];
  }
  next.stacks[t.cell] = [...(next.stacks[t.cell] ?? []), t.piece];
  next.at[t.piece] = t.cell;
  return next;
}

export function stateAt(match, ply) {
  let st = initial(match.settings);
  for (const m of match.moves.slice(0, ply)) st = play(st, m);
  return st;
}

export function fromMatch(match) { return stateAt(match, match.moves.length); }

function hand(state, colour) {
  return state.pieces.map((b) => colour + b).filter((p) => state.at[p] === undefined);
}

const SIZE = 1;
function centre(cell) {
  const [q, r] = cell.split(",").map(Number);
  return [SIZE * Math.sqrt(3) * (q + r / 2), SIZE * 1.5 * r];
}
function hexPoints(cx, cy, size) {
  const pts = [];
  for (let i = 0; i < 6; i++) {
    const a = (Math.PI / 180) * (60 * i - 30);
    pts.push(`${(cx + size * Math.cos(a)).toFixed(3)},${(cy + size * Math.sin(a)).toFixed(3)}`);
  }
  return pts.join(" ");
}

/** A piece as a small SVG group: a hex in its colour with the bug's letter and number. */
function pieceGlyph(piece, cx, cy, size) {
  const colour = piece[0] === "w" ? "white" : "black";
  return s("g", { class: `hv-piece hv-${colour}` }, [
    s("polygon", { points: hexPoints(cx, cy, size * 0.92) }),
    s("text", { x: cx, y: cy + 0.12, class: `hv-label hv-bug-${piece[1]}` }, [document.createTextNode(piece.slice(1))]),
  ]);
}

/**
 * Draws the hive and both hands. `legal` is LEGAL's list; with `onMove`, a click on one of
 * the mover's pieces (or a piece the pillbug may throw) highlights its destinations.
 * `selected` is the piece picked, `onSelect` picks one.
 */
export function render(state, { legal = [], onMove, selected, onSelect, last } = {}) {
  const movesOf = {};
  for (const m of onMove ? legal : []) {
    const t = target(state, m);
    if (t) (movesOf[t.piece] ??= []).push({ move: m, cell: t.cell });
  }
  const destinations = selected ? movesOf[selected] ?? [] : [];
  const cells = new Set([...Object.keys(state.stacks), ...destinations.map((d) => d.cell)]);
  if (!cells.size) cells.add(key(0, 0));
  const xs = [], ys = [];
  for (const c of cells) { const [x, y] = centre(c); xs.push(x); ys.push(y); }
  const pad = 1.6;
  const minX = Math.min(...xs) - pad, minY = Math.min(...ys) - pad;
  const w = Math.max(Math.max(...xs) - minX + pad, 9), hgt = Math.max(Math.max(...ys) - minY + pad, 7);
  const svg = board(`${minX.toFixed(2)} ${minY.toFixed(2)} ${w.toFixed(2)} ${hgt.toFixed(2)}`, "Hive board");
  svg.append(s("rect", { x: minX, y: minY, width: w, height: hgt, class: "hv-frame" }));
  const lastCell = last ? target(state, last)?.cell : null;
  // Stack heights go on top of every hex, so a neighbour never hides them.
  const badges = [];
  for (const [cell, stack] of Object.entries(state.stacks)) {
    const [cx, cy] = centre(cell);
    const top = stack[stack.length - 1];
    const g = s("g", {
      "data-cell": cell, "data-piece": top, "data-stack": stack.join(" "), "data-height": stack.length,
      class: "hv-stack" + (top === selected ? " selected" : "") + (cell === lastCell ? " last" : "") + (movesOf[top] ? " movable" : ""),
    });
    // Pieces beneath show as offset rims, so a stack reads as a stack.
    stack.slice(0, -1).forEach((p, i) => g.append(pieceGlyph(p, cx - 0.12 * (stack.length - 1 - i), cy - 0.12 * (stack.length - 1 - i), SIZE)));
    g.append(pieceGlyph(top, cx, cy, SIZE));
    if (stack.length > 1) badges.push(s("text", { x: cx + 0.5, y: cy - 0.42, class: "hv-height" }, [document.createTextNode(`×${stack.length}`)]));
    if (movesOf[top] && onSelect) g.addEventListener("click", () => onSelect(top === selected ? null : top));
    svg.append(g);
  }
  svg.append(...badges);
  for (const d of destinations) {
    const [cx, cy] = centre(d.cell);
    const g = s("g", { "data-legal": d.cell, "data-move": d.move, class: "hv-dest legal" }, [
      s("polygon", { points: hexPoints(cx, cy, SIZE * 0.86) }),
    ]);
    g.addEventListener("click", () => onMove(d.move));
    svg.append(g);
  }
  const hands = ["w", "b"].map((colour) => {
    const row = h("div", { class: "hv-hand", "data-testid": `hand-${colour === "w" ? "white" : "black"}` },
      [h("span", { class: "hv-hand-title", text: colour === "w" ? "White in hand" : "Black in hand" })]);
    for (const p of hand(state, colour)) {
      const mini = s("svg", { viewBox: "-1.1 -1.1 2.2 2.2", class: "hv-mini" }, [pieceGlyph(p, 0, 0, 1)]);
      const b = h("button", {
        class: "hv-hand-piece" + (p === selected ? " selected" : "") + (movesOf[p] ? " movable" : ""),
        "data-hand-piece": p, title: NAMES[p[1]] ?? p, disabled: !(movesOf[p] && onSelect),
        onclick: () => onSelect(p === selected ? null : p),
      }, [mini]);
      row.append(b);
    }
    return row;
  });
  const pass = onMove && legal.includes("pass");
  return { board: svg, extra: [...hands, pass ? h("button", { "data-testid": "pass", text: "Pass", onclick: () => onMove("pass") }) : null] };
}

export function summary(state) {
  const stacked = Object.values(state.stacks).filter((st) => st.length > 1).map((st) => st.join(" under ").split(" under ").reverse().join(" on "));
  return stacked.length ? "stacks: " + stacked.join(", ") : "";
}
