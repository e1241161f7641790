// khet.js: the Khet 2.0 board: pieces with their facing, rotations, and the last laser
// shot drawn from the match's `laser` squares. Finished matches are stepped through by
// replaying the moves here (the rules of the beam are short).
import { s, h, board } from "./svg.js";

export const id = "khet";

const FILES = "abcdefghij";
const DIRS = { N: 0, E: 1, S: 2, W: 3 };
const DIR_NAMES = ["N", "E", "S", "W"];
const STEP = [[0, 1], [1, 0], [0, -1], [-1, 0]];
const CORNERS = ["NE", "SE", "SW", "NW"]; // corner k mirrors directions k and k+1
const KINDS = { P: "pyramid", A: "anubis", S: "scarab", H: "pharaoh", X: "sphinx" };

const sq = (f, r) => FILES[f] + (r + 1);
const fileOf = (n) => FILES.indexOf(n[0]);
const rankOf = (n) => Number(n.slice(1)) - 1;

/** Silver's half of each layout (Red's is the same turned half round). */
const LAYOUTS = {
  classic: "c1 P NW, d1 A N, e1 H, f1 A N, j1 X N, h2 P NE, c4 P NW, e4 S /, f4 S \\, j4 P SW, c5 P SW, j5 P NW, d6 P NW",
  imhotep: "c1 S /, d1 A N, e1 H, f1 A N, j1 X N, d3 P SW, b4 P NW, e4 S /, j4 P SW, b5 P SW, e5 P SE, j5 P NW, d6 P NW",
  dynasty: "d1 P NW, e1 A N, f1 P NE, j1 X N, e2 H, d3 S /, e3 A N, f3 P NE, j3 P SW, h4 S \\, j4 P NW, e5 P NW, g5 P SE",
};

function turnedHalf(kind, facing) {
  if (kind === "P") return CORNERS[(CORNERS.indexOf(facing) + 2) % 4];
  if (kind === "A" || kind === "X") return DIR_NAMES[(DIRS[facing] + 2) % 4];
  return facing;
}

/** cells: square -> {kind, owner (0 silver, 1 red), facing}; laser: squares of the last shot. */
export function initial(settings = {}) {
  const cells = {};
  for (const entry of LAYOUTS[settings.layout ?? "classic"].split(", ")) {
    const [at, kind, facing = ""] = entry.split(" ");
    cells[at] = { kind, owner: 0, facing };
    cells[sq(9 - fileOf(at), 7 - rankOf(at))] = { kind, owner: 1, facing: turnedHalf(kind, facing) };
  }
  return { cells, toMove: 0, laser: [], shooter: null, winner: null };
}

function turn(piece, clockwise) {
  const d = clockwise ? 1 : 3;
  if (piece.kind === "P") return { ...piece, facing: CORNERS[(CORNERS.indexOf(piece.facing) + d) % 4] };
  if (piece.kind === "A" || piece.kind === "X") return { ...piece, facing: DIR_NAMES[(DIRS[piece.facing] + d) % 4] };
  if (piece.kind === "S") return { ...piece, facing: piece.facing === "/" ? "\\" : "/" };
  return piece;
}

/** Fires `owner`'s sphinx on `cells` (changed in place): the path, and a pharaoh's fall. */
function fire(cells, owner) {
  const origin = Object.keys(cells).find((k) => cells[k].kind === "X" && cells[k].owner === owner);
  const path = [];
  let winner = null;
  if (!origin) return { path, winner };
  let beam = DIRS[cells[origin].facing], f = fileOf(origin), r = rankOf(origin);
  for (let i = 0; i < 320; i++) {
    f += STEP[beam][0]; r += STEP[beam][1];
    if (f < 0 || f > 9 || r < 0 || r > 7) break;
    const at = sq(f, r);
    path.push(at);
    const piece = cells[at];
    if (!piece) continue;
    const side = (beam + 2) % 4;
    if (piece.kind === "P") {
      const a = CORNERS.indexOf(piece.facing), b = (a + 1) % 4;
      if (side === a) beam = b;
      else if (side === b) beam = a;
      else { delete cells[at]; break; }
    } else if (piece.kind === "S") {
      beam = piece.facing === "/" ? beam ^ 1 : 3 - beam;
    } else if (piece.kind === "A") {
      if (DIRS[piece.facing] !== side) delete cells[at];
      break;
    } else if (piece.kind === "H") {
      delete cells[at];
      winner = 1 - piece.owner;
      break;
    } else break;
  }
  return { path, winner };
}

export function play(state, move) {
  const cells = { ...state.cells };
  const words = move.toLowerCase().trim().split(/\s+/);
  if (words[0] === "draw") return { ...state, cells, toMove: 1 - state.toMove };
  if (words[0] === "cw" || words[0] === "ccw") {
    cells[words[1]] = turn(cells[words[1]], words[0] === "cw");
  } else {
    const [from, to] = words[0].split("-");
    const a = cells[from], b = cells[to];
    delete cells[from]; delete cells[to];
    if (a) cells[to] = a;
    if (b) cells[from] = b;
  }
  const { path, winner } = fire(cells, state.toMove);
  return { cells, toMove: 1 - state.toMove, laser: path, shooter: state.toMove, winner };
}

/** The position from `MATCH`: the text picture (rank 8 first) and the `laser` squares. */
export function fromMatch(match) {
  const cells = {};
  const rows = match.position.split("\n").filter((l) => /^\s*\d+\s/.test(l));
  for (const row of rows) {
    const words = row.trim().split(/\s+/);
    const rank = Number(words[0]) - 1;
    words.slice(1, 11).forEach((w, f) => {
      if (w === ".") return;
      const kind = w[0].toUpperCase();
      cells[sq(f, rank)] = { kind, owner: w[0] === kind ? 0 : 1, facing: w.slice(1) };
    });
  }
  const toMove = match.moves.length % 2;
  return { cells, toMove, laser: match.laser ?? [], shooter: match.moves.length ? 1 - toMove : null };
}

export function stateAt(match, ply) {
  if (ply === match.moves.length) return fromMatch(match);
  let st = initial(match.settings);
  for (const m of match.moves.slice(0, ply)) st = play(st, m);
  return st;
}

/** One piece drawn in a unit square at (0,0), turned to its facing. */
function glyph(piece) {
  const cls = `kh-piece kh-${piece.owner === 0 ? "silver" : "red"}`;
  const g = s("g", { class: cls });
  if (piece.kind === "P") {
    // A right triangle whose hypotenuse (the mirror) faces the corner; drawn for NE, turned.
    const rot = CORNERS.indexOf(piece.facing) * 90;
    g.append(s("g", { transform: `rotate(${rot} 0.5 0.5)` }, [
      s("polygon", { points: "0.12,0.88 0.88,0.88 0.12,0.12", class: "kh-body" }),
      s("line", { x1: 0.12, y1: 0.12, x2: 0.88, y2: 0.88, class: "kh-mirror" }),
    ]));
  } else if (piece.kind === "A") {
    const rot = DIRS[piece.facing] * 90;
    g.append(s("g", { transform: `rotate(${rot} 0.5 0.5)` }, [
      s("rect", { x: 0.2, y: 0.25, width: 0.6, height: 0.55, rx: 0.08, class: "kh-body" }),
      s("rect", { x: 0.14, y: 0.12, width: 0.72, height: 0.12, class: "kh-shield" }),
    ]));
  } else if (piece.kind === "S") {
    const flip = piece.facing === "/" ? "" : "scale(-1 1) translate(-1 0)";
    g.append(s("g", { transform: flip }, [
      s("rect", { x: 0.18, y: 0.18, width: 0.64, height: 0.64, rx: 0.2, class: "kh-body" }),
      s("line", { x1: 0.15, y1: 0.85, x2: 0.85, y2: 0.15, class: "kh-mirror" }),
    ]));
  } else if (piece.kind === "H") {
    g.append(s("circle", { cx: 0.5, cy: 0.5, r: 0.34, class: "kh-body" }));
    g.append(s("polygon", { points: "0.3,0.55 0.36,0.3 0.5,0.45 0.64,0.3 0.7,0.55", class: "kh-crown" }));
  } else if (piece.kind === "X") {
    const rot = DIRS[piece.facing] * 90;
    g.append(s("g", { transform: `rotate(${rot} 0.5 0.5)` }, [
      s("rect", { x: 0.15, y: 0.3, width: 0.7, height: 0.55, rx: 0.1, class: "kh-body" }),
      s("polygon", { points: "0.5,0.08 0.66,0.32 0.34,0.32", class: "kh-lens" }),
    ]));
  }
  return g;
}

/** Board squares are drawn with rank 8 at the top, as Red sits. */
const pos = (n) => [fileOf(n), 7 - rankOf(n)];

/**
 * Draws the board, the last laser shot and, with `onMove`, the selected piece's steps
 * (`data-legal`) and rotation buttons from LEGAL.
 */
export function render(state, { legal = [], onMove, selected, onSelect, last } = {}) {
  const svg = board("-0.3 -0.3 10.6 8.6", "Khet board");
  svg.append(s("rect", { x: -0.3, y: -0.3, width: 10.6, height: 8.6, class: "kh-frame" }));
  const movable = new Set(), steps = {}, turns = [];
  for (const m of onMove ? legal : []) {
    const words = m.split(" ");
    if (words.length === 2) { movable.add(words[1]); if (words[1] === selected) turns.push(m); }
    else if (m.includes("-")) {
      const [from, to] = m.split("-");
      movable.add(from);
      if (from === selected) steps[to] = m;
    }
  }
  for (let f = 0; f < 10; f++) for (let r = 0; r < 8; r++) {
    const n = sq(f, r), [x, y] = pos(n);
    const zone = f === 0 || n === "i1" || n === "i8" ? " kh-red-zone" : f === 9 || n === "b1" || n === "b8" ? " kh-silver-zone" : "";
    const g = s("g", { "data-cell": n, transform: `translate(${x},${y})`, class: "kh-square" + (n === selected ? " selected" : "") });
    g.append(s("rect", { width: 1, height: 1, class: "kh-cell" + zone }));
    const piece = state.cells[n];
    if (piece) {
      const p = glyph(piece);
      p.setAttribute("data-piece", `${piece.owner === 0 ? "silver" : "red"}-${KINDS[piece.kind]}`);
      p.setAttribute("data-facing", piece.facing);
      g.append(p);
    }
    if (steps[n]) {
      g.setAttribute("data-legal", n);
      g.append(s("rect", { x: 0.06, y: 0.06, width: 0.88, height: 0.88, class: "kh-dest legal" }));
      g.addEventListener("click", () => onMove(steps[n]));
    } else if (movable.has(n) && onSelect) {
      g.classList.add("movable");
      g.addEventListener("click", () => onSelect(n === selected ? null : n));
    }
    svg.append(g);
  }
  for (let f = 0; f < 10; f++) svg.append(s("text", { x: f + 0.5, y: 8.22, class: "coord" }, [document.createTextNode(FILES[f])]));
  for (let r = 0; r < 8; r++) svg.append(s("text", { x: -0.17, y: 7 - r + 0.55, class: "coord" }, [document.createTextNode(String(r + 1))]));
  // The beam starts at the shooter's sphinx and runs through each square's centre.
  if (state.laser?.length && state.shooter !== null) {
    const sphinx = Object.keys(state.cells).find((k) => state.cells[k].kind === "X" && state.cells[k].owner === state.shooter);
    const pts = (sphinx ? [sphinx] : []).concat(state.laser).map((n) => pos(n).map((v) => v + 0.5));
    const end = pts[pts.length - 1];
    svg.append(s("polyline", {
      points: pts.map((p) => p.join(",")).join(" "), class: "kh-laser", "data-testid": "laser",
      "data-laser": state.laser.join(" "),
    }));
    svg.append(s("circle", { cx: end[0], cy: end[1], r: 0.12, class: "kh-laser-end" }));
  }
  const extra = [];
  if (turns.length) {
    for (const m of turns) {
      const cw = m.startsWith("cw");
      extra.push(h("button", { "data-testid": cw ? "rotate-cw" : "rotate-ccw", text: cw ? "Rotate ↻" : "Rotate ↺", onclick: () => onMove(m) }));
    }
  }
  return { board: svg, extra };
}

export function summary(state) {
  const count = [0, 0];
  for (const p of Object.values(state.cells)) count[p.owner] += 1;
  return `silver ${count[0]} pieces · red ${count[1]} pieces`;
}
