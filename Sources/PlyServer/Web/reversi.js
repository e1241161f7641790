// reversi.js: the Reversi board: reading the server's position, replaying moves for the
// step-through of a finished match, and drawing it as SVG.
import { s, h, board } from "./svg.js";

const FILES = "abcdefgh";
const DIRS = [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];

/** `f5` -> index (rank 1 is the top row, a1 the top-left). */
function index(name) { return (Number(name.slice(1)) - 1) * 8 + FILES.indexOf(name[0]); }
function name(i) { return FILES[i % 8] + (Math.floor(i / 8) + 1); }

export const id = "reversi";

/** Cells are "." "x" (black) "o" (white); black moves first. */
export function initial() {
  const cells = Array(64).fill(".");
  cells[index("d4")] = "o"; cells[index("e5")] = "o";
  cells[index("d5")] = "x"; cells[index("e4")] = "x";
  return { cells, toMove: "x" };
}

export function play(state, move) {
  const cells = state.cells.slice();
  const me = state.toMove, them = me === "x" ? "o" : "x";
  if (move !== "pass") {
    const at = index(move.toLowerCase());
    const f0 = at % 8, r0 = Math.floor(at / 8);
    cells[at] = me;
    for (const [dx, dy] of DIRS) {
      const run = [];
      let f = f0 + dx, r = r0 + dy;
      while (f >= 0 && f < 8 && r >= 0 && r < 8 && cells[r * 8 + f] === them) { run.push(r * 8 + f); f += dx; r += dy; }
      if (run.length && f >= 0 && f < 8 && r >= 0 && r < 8 && cells[r * 8 + f] === me) for (const i of run) cells[i] = me;
    }
  }
  return { cells, toMove: them };
}

/** The position from `MATCH`'s text: eight rows of . x o, rank 1 first. */
export function fromMatch(match) {
  const rows = match.position.split("\n").slice(0, 8);
  const cells = rows.join("").split("");
  return { cells, toMove: match.position.includes("white to move") ? "o" : "x" };
}

export function stateAt(match, ply) {
  if (ply === match.moves.length) return fromMatch(match);
  let st = initial();
  for (const m of match.moves.slice(0, ply)) st = play(st, m);
  return st;
}

/** Draws the board; `legal` moves are highlighted and clickable when `onMove` is given. */
export function render(state, { legal = [], onMove, last } = {}) {
  const svg = board("0 0 8.4 8.4", "Reversi board");
  svg.append(s("rect", { x: 0, y: 0, width: 8.4, height: 8.4, class: "rv-frame" }));
  const legalSet = new Set(onMove ? legal.filter((m) => m !== "pass") : []);
  for (let i = 0; i < 64; i++) {
    const f = i % 8, r = Math.floor(i / 8), n = name(i);
    const g = s("g", { "data-cell": n, transform: `translate(${f + 0.4},${r + 0.4})` });
    g.append(s("rect", { width: 1, height: 1, class: "rv-cell" + (n === last ? " last" : "") }));
    const c = state.cells[i];
    if (c !== ".") g.append(s("circle", { cx: 0.5, cy: 0.5, r: 0.42, class: c === "x" ? "rv-black" : "rv-white", "data-piece": c === "x" ? "black" : "white" }));
    if (legalSet.has(n)) {
      g.setAttribute("data-legal", n);
      g.classList.add("legal");
      g.append(s("circle", { cx: 0.5, cy: 0.5, r: 0.14, class: "rv-hint" }));
      g.addEventListener("click", () => onMove(n));
    }
    svg.append(g);
  }
  for (let k = 0; k < 8; k++) {
    svg.append(s("text", { x: k + 0.9, y: 0.3, class: "coord" }, [document.createTextNode(FILES[k])]));
    svg.append(s("text", { x: 0.2, y: k + 1, class: "coord" }, [document.createTextNode(String(k + 1))]));
  }
  const pass = onMove && legal.includes("pass");
  return { board: svg, extra: [pass ? h("button", { "data-testid": "pass", text: "Pass", onclick: () => onMove("pass") }) : null] };
}

export function summary(state) {
  const black = state.cells.filter((c) => c === "x").length, white = state.cells.filter((c) => c === "o").length;
  return `black ${black} · white ${white}`;
}
