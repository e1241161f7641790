// app.js: the web client's screens (lobby and match) on top of ply.js and the game boards.
import { Ply } from "./ply.js";
import { h } from "./svg.js";
import * as reversi from "./reversi.js";
import * as hive from "./hive.js";
import * as khet from "./khet.js";

const GAMES = { reversi, hive, khet };
const GAME_NAMES = { reversi: "Reversi", hive: "Hive", khet: "Khet 2.0" };
const $ = (id) => document.getElementById(id);

const ply = new Ply();
const app = { me: null, matches: [], view: null };
// Tests reach the connection through here (to drop it, or to read the last reply).
window.plyApp = { ply, app };

// MARK: storage

function deviceId() {
  let id = localStorage.getItem("ply.device");
  if (!id) {
    id = "web-" + crypto.randomUUID().replaceAll("-", "");
    localStorage.setItem("ply.device", id);
  }
  return id;
}

/** Invitations this device sent (a match row does not say who invited whom). */
function created() { return JSON.parse(localStorage.getItem("ply.created") ?? "[]"); }

function remember() {
  if (ply.session) localStorage.setItem("ply.session", ply.session);
  localStorage.setItem("ply.seq", String(ply.lastSeq));
}

// MARK: messages

function say(text, kind = "info") {
  const node = h("div", { class: `message ${kind}`, "data-testid": kind === "error" ? "error" : "message", text });
  $("messages").append(node);
  setTimeout(() => node.remove(), kind === "error" ? 8000 : 5000);
}

/** Sends a request; an ERR reply is shown to the player. */
async function send(line) {
  const reply = await ply.request(line);
  if (!reply.ok) say(`${reply.code}: ${reply.message}`, "error");
  return reply;
}

function nameOf(match, player) {
  return match.players?.find((p) => p.player === player)?.name ?? player;
}

/** A span of time for people: "2 d 3 h", "4 h 10 min", "7 min". */
function span(seconds) {
  const m = Math.max(0, Math.round(seconds / 60));
  return m >= 1440 ? `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h` : m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

function until(deadline) {
  if (!deadline) return "";
  return `${new Date(deadline).toLocaleString()} (${span((new Date(deadline) - Date.now()) / 1000)} left)`;
}

/** The turn's deadline and, with correspondence clocks, each player's time left. */
function deadlineText(match) {
  if (match.status !== "active") return "";
  const parts = match.deadline ? [`Deadline: ${until(match.deadline)}`] : [];
  for (const [player, seconds] of Object.entries(match.clocks ?? {})) {
    parts.push(`${nameOf(match, player)}'s clock: ${span(seconds)}`);
  }
  return parts.join(" · ");
}

function resultText(match) {
  const r = match.result;
  if (!r) return match.status;
  const who = r.winner ? `${nameOf(match, r.winner)} wins` : "draw";
  return `${match.status === "aborted" ? "aborted" : "finished"}: ${who} (${r.reason})`;
}

// MARK: lobby

async function refreshLobby() {
  const [matches, open, notes] = await Promise.all([
    ply.request("MATCHES all"), ply.request("OPEN"), ply.request("NOTIFICATIONS"),
  ]);
  if (matches.ok) app.matches = matches.value;
  renderMatches();
  if (open.ok) renderOpen(open.value);
  if (notes.ok) renderNotifications(notes.value);
}

function renderMatches() {
  const me = app.me?.player;
  const rank = (m) => (m.status === "active" && m.to_move === me ? 0 : m.status === "active" ? 1 : m.status === "invited" || m.status === "open" ? 2 : 3);
  const list = [...app.matches].sort((a, b) => rank(a) - rank(b));
  $("matches").replaceChildren(...list.map((m) => {
    const mine = m.status === "active" && m.to_move === me;
    const others = (m.players ?? []).filter((p) => p.player !== me).map((p) => p.name).join(", ") || "nobody yet";
    const invited = m.status === "invited" && m.players?.length > 1 && !created().includes(m.match);
    return h("li", { "data-match": m.match, "data-status": m.status, "data-your-turn": mine ? "true" : "false" }, [
      h("a", { href: `#match=${m.match}`, text: `${GAME_NAMES[m.game] ?? m.game} ${m.match}` }),
      h("span", { text: `vs ${others}` }),
      h("span", { class: mine ? "your-turn" : "muted", text: mine ? "your turn" : m.status === "active" ? `ply ${m.ply}` : m.status }),
      invited ? h("button", { "data-testid": "accept", text: "Accept", onclick: () => accept(m.match) }) : null,
      invited ? h("button", { "data-testid": "decline", text: "Decline", onclick: () => decline(m.match) }) : null,
    ]);
  }));
}

function renderOpen(open) {
  const me = app.me?.player;
  $("open").replaceChildren(...open.map((c) => h("li", { "data-match": c.match, "data-game": c.game }, [
    h("span", { text: `${GAME_NAMES[c.game] ?? c.game} by ${c.name ?? c.from}` }),
    c.from === me ? h("span", { class: "muted", text: "yours" })
      : h("button", { "data-testid": "accept-open", text: "Accept", onclick: () => accept(c.match) }),
    h("button", { "data-testid": "watch-open", text: "Watch", onclick: () => go(c.match) }),
  ])));
}

function renderNotifications(notes) {
  $("notifications").replaceChildren(...notes.map((n) => h("li", { "data-notification": n.id }, [
    h("a", { href: `#match=${n.match}`, text: `${n.kind.replaceAll("_", " ")}: ${n.match}` }),
    h("button", { text: "Seen", onclick: async () => { await send(`SEEN ${n.id}`); refreshLobby(); } }),
  ])));
}

async function accept(match) {
  const r = await send(`ACCEPT ${match}`);
  if (r.ok) go(match);
  refreshLobby();
}

async function decline(match) {
  await send(`DECLINE ${match}`);
  refreshLobby();
}

function settingsJSON() {
  const game = $("game").value;
  const settings = { side: $("side").value };
  if (game === "hive") settings.expansions = $("expansions").value;
  if (game === "khet") settings.layout = $("layout").value;
  return JSON.stringify(settings);
}

function showGameOptions() {
  const game = $("game").value;
  for (const node of document.querySelectorAll(".only-hive")) node.hidden = game !== "hive";
  for (const node of document.querySelectorAll(".only-khet")) node.hidden = game !== "khet";
}

// MARK: match view

/** Opens a match by its id (through the address, so a reload comes back to it). */
function go(match) { location.hash = `match=${match}`; }

async function route() {
  const id = new URLSearchParams(location.hash.slice(1)).get("match");
  if (!id) {
    if (app.view && app.view.watching) ply.request(`UNWATCH ${app.view.id}`);
    app.view = null;
    $("lobby").hidden = false;
    $("match").hidden = true;
    return refreshLobby();
  }
  if (app.view?.id !== id) app.view = { id, match: null, legal: [], selected: null, step: null, chat: [], watching: false };
  $("lobby").hidden = true;
  $("match").hidden = false;
  await loadMatch();
}

/** Reads the match (and, on the player's turn, its legal moves), then draws it. */
async function loadMatch() {
  const view = app.view;
  if (!view) return;
  const reply = await send(`MATCH ${view.id}`);
  if (!reply.ok || app.view !== view) return;
  const match = reply.value;
  const me = app.me?.player;
  const seated = match.players?.some((p) => p.player === me);
  if (!seated && !view.watching && match.status !== "invited") {
    const w = await ply.request(`WATCH ${view.id}`);
    view.watching = w.ok;
    if (!w.ok && w.code !== "forbidden") say(`${w.code}: ${w.message}`, "error");
  }
  let legal = [];
  if (match.status === "active" && match.to_move === me) {
    const l = await ply.request(`LEGAL ${view.id}`);
    if (l.ok) legal = l.value;
  }
  if (app.view !== view) return;
  // A new position: the selection and any step-through go back to the live board.
  if (view.match?.ply !== match.ply) { view.selected = null; view.step = null; }
  view.match = match;
  view.legal = legal;
  renderMatch();
}

function renderMatch() {
  const view = app.view;
  const match = view?.match;
  if (!match) return;
  const me = app.me?.player;
  const game = GAMES[match.game];
  const total = match.moves.length;
  const step = view.step ?? total;
  const live = step === total;
  const myTurn = live && match.status === "active" && match.to_move === me && !view.sending;
  $("match-title").textContent = `${GAME_NAMES[match.game] ?? match.game} · ${match.match}`;
  $("players").replaceChildren(...(match.players ?? []).map((p) =>
    h("span", { class: "player", "data-player": p.player, text: `${p.name} (${p.side})${p.player === me ? " · you" : ""}  ` })));
  const status = $("status");
  status.dataset.matchStatus = match.status;
  status.dataset.toMove = match.to_move ?? "";
  status.dataset.ply = String(match.ply);
  if (match.status === "active") {
    status.textContent = match.to_move === me ? "Your turn" : `Waiting for ${nameOf(match, match.to_move)}`;
  } else if (match.status === "open" || match.status === "invited") {
    status.textContent = match.status === "open" ? "Waiting for someone to accept" : "Invitation pending";
  } else {
    status.textContent = resultText(match);
  }
  if (view.watching) status.textContent += " (watching)";
  $("deadline").textContent = deadlineText(match);
  const state = game.stateAt(match, step);
  const drawn = game.render(state, {
    legal: myTurn ? view.legal : [],
    onMove: myTurn ? playMove : null,
    selected: view.selected,
    onSelect: myTurn ? (piece) => { view.selected = piece; renderMatch(); } : null,
    last: step > 0 ? match.moves[step - 1] : null,
  });
  $("board").replaceChildren(drawn.board);
  $("board-extra").replaceChildren(...drawn.extra.filter(Boolean));
  $("summary").textContent = game.summary(state);
  $("ply-label").textContent = `ply ${step} of ${total}`;
  $("ply-label").dataset.step = String(step);
  $("step-first").disabled = $("step-prev").disabled = step === 0;
  $("step-next").disabled = $("step-last").disabled = live;
  $("moves").replaceChildren(...match.moves.map((m, i) => h("li", {
    class: i + 1 === step ? "current" : "", text: m, "data-ply": i + 1, onclick: () => { view.step = i + 1; renderMatch(); },
  })));
  const seated = match.players?.some((p) => p.player === me);
  $("resign").hidden = $("offer-draw").hidden = !(seated && match.status === "active");
  // An opponent's standing offer turns the button into its answer.
  const offered = match.draw_offer_by && match.draw_offer_by !== me;
  $("offer-draw").textContent = offered ? "Accept draw" : "Offer draw";
  $("offer-draw").dataset.answer = offered ? "accept" : "offer";
  const invitedMe = match.status === "invited" && seated && !created().includes(match.match);
  $("accept").hidden = $("decline").hidden = !invitedMe;
  $("chat").replaceChildren(...view.chat.map((c) =>
    h("li", { class: `room-${c.room}`, "data-testid": "chat-line", text: `${nameOf(match, c.by)}: ${c.text}` })));
}

/** Sends the move as the next ply; a move waiting here survives a reload (it is kept in
 *  local storage until its reply) and is sent again, which the ply number makes safe. */
async function playMove(move) {
  const view = app.view;
  const pending = { match: view.id, ply: view.match.ply + 1, move };
  localStorage.setItem("ply.pending", JSON.stringify(pending));
  view.sending = true;
  view.selected = null;
  renderMatch();
  await sendPending(pending);
  view.sending = false;
  await loadMatch();
}

async function sendPending(pending) {
  const reply = await ply.request(`MOVE ${pending.match} ${pending.ply} ${pending.move}`);
  // A dropped connection resends the MOVE itself; any reply settles it.
  localStorage.removeItem("ply.pending");
  if (!reply.ok) say(`${reply.code}: ${reply.message}`, "error");
  return reply;
}

function stepTo(step) {
  const view = app.view;
  if (!view?.match) return;
  const total = view.match.moves.length;
  view.step = Math.max(0, Math.min(total, step));
  if (view.step === total) view.step = null;
  renderMatch();
}

// MARK: events

let lobbySoon = null;
function refreshLobbySoon() {
  clearTimeout(lobbySoon);
  lobbySoon = setTimeout(() => { if (!app.view) refreshLobby(); }, 150);
}

function onEvent(type, body) {
  remember();
  const here = app.view && body.match === app.view.id;
  switch (type) {
    case "hello": break;
    case "move":
      if (here) loadMatch();
      else say(`${body.match}: ${body.move}`);
      break;
    case "start":
      say(`Match ${body.match} (${GAME_NAMES[body.game] ?? body.game}) started`);
      if (here) loadMatch();
      else if (!app.view) go(body.match);
      break;
    case "end":
      say(`Match ${body.match} ended${body.result?.reason ? ` (${body.result.reason})` : ""}`);
      if (here) loadMatch();
      break;
    case "challenge":
      say(`${body.from} challenges you to ${GAME_NAMES[body.game] ?? body.game} (${body.match})`);
      break;
    case "chat":
      if (here) { app.view.chat.push(body); renderMatch(); }
      else say(`${body.match} chat: ${body.text}`);
      break;
    case "draw":
      say(`${body.by} offers a draw in ${body.match}`);
      break;
    case "takeback":
      say(`${body.by} ${body.state} a takeback in ${body.match}`);
      break;
    case "undo":
      // Moves taken back: the match is shown again from its new history.
      if (here) loadMatch();
      else say(`${body.match}: back to ply ${body.ply}`);
      break;
    case "notification":
      say(`Notification: ${body.kind.replaceAll("_", " ")} (${body.match})`);
      break;
    case "profile":
      app.me = { ...app.me, ...body };
      showMe();
      break;
    case "resync":
      if (app.view) loadMatch();
      break;
    default:
      say(`${type}: ${JSON.stringify(body)}`);
  }
  refreshLobbySoon();
}

function showMe() {
  $("me").textContent = app.me ? `${app.me.name} (${app.me.player})` : "not logged in";
  $("me").dataset.player = app.me?.player ?? "";
}

// MARK: start

function wire() {
  $("game").addEventListener("change", showGameOptions);
  showGameOptions();
  $("new-game").addEventListener("submit", async (e) => {
    e.preventDefault();
    const who = $("opponent").value.trim() || "open";
    const r = await send(`CHALLENGE ${who} ${$("game").value} ${settingsJSON()}`);
    if (r.ok) {
      localStorage.setItem("ply.created", JSON.stringify([...created().slice(-50), r.value.match]));
      say(`Challenge ${r.value.match} created`);
      go(r.value.match);
    }
  });
  $("queue").addEventListener("click", async () => {
    const r = await send(`QUEUE ${$("game").value} ${settingsJSON().replace(/"side":"\w+",?/, "")}`);
    if (r.ok) say(`Waiting for an opponent for ${GAME_NAMES[$("game").value]}`);
  });
  $("unqueue").addEventListener("click", async () => {
    const r = await send(`UNQUEUE ${$("game").value}`);
    if (r.ok) say("Left the queue");
  });
  $("refresh-open").addEventListener("click", refreshLobby);
  $("watch-form").addEventListener("submit", (e) => { e.preventDefault(); if ($("watch-id").value.trim()) go($("watch-id").value.trim()); });
  $("name-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await send(`NAME ${$("name").value}`);
    if (r.ok) { app.me.name = r.value?.name ?? $("name").value; showMe(); }
  });
  $("link-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await send(`LINK EMAIL ${$("email").value} ${$("password").value}`);
    if (!r.ok) return;
    // A server with --email-confirmation mails a code; alerts wait for it.
    const waiting = r.value?.confirmed === false;
    $("confirm-form").hidden = !waiting;
    say(waiting ? `Email ${r.value.email} linked; enter the code mailed to it` : `Email ${$("email").value} linked`);
  });
  $("confirm-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = await send(`CONFIRM EMAIL ${$("confirm-code").value.trim()}`);
    if (!r.ok) return;
    $("confirm-form").hidden = true;
    say(`Email ${r.value.email} confirmed`);
  });
  $("back").addEventListener("click", () => { location.hash = ""; });
  $("resign").addEventListener("click", async () => { await send(`RESIGN ${app.view.id}`); loadMatch(); });
  $("offer-draw").addEventListener("click", async () => {
    const answer = $("offer-draw").dataset.answer ?? "offer";
    const r = await send(`DRAW ${app.view.id} ${answer}`);
    if (r.ok) say(answer === "offer" ? "Draw offered" : "Draw agreed");
    loadMatch();
  });
  $("accept").addEventListener("click", () => accept(app.view.id));
  $("decline").addEventListener("click", () => decline(app.view.id));
  $("step-first").addEventListener("click", () => stepTo(0));
  $("step-prev").addEventListener("click", () => stepTo((app.view.step ?? app.view.match.moves.length) - 1));
  $("step-next").addEventListener("click", () => stepTo((app.view.step ?? app.view.match.moves.length) + 1));
  $("step-last").addEventListener("click", () => stepTo(Infinity));
  $("chat-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text || !app.view) return;
    const r = await send(`SAY ${app.view.id} ${text}`);
    if (r.ok) {
      $("chat-input").value = "";
      // The server sends chat to the other connections; the sender's line shows here.
      app.view.chat.push({ by: app.me.player, text, room: app.view.watching ? "spectators" : "players" });
      renderMatch();
    }
  });
  window.addEventListener("hashchange", route);
}

async function start() {
  wire();
  ply.onEvent(onEvent);
  ply.onStatus((state, detail) => {
    const conn = $("connection");
    conn.textContent = state === "closed" && detail?.retryIn ? `reconnecting in ${(detail.retryIn / 1000).toFixed(1)} s` : state;
    conn.className = `conn ${state}`;
    conn.dataset.state = state;
    if (state === "open") remember();
  });
  ply.relogin = () => `AUTH DEVICE ${deviceId()}`;
  ply.session = localStorage.getItem("ply.session");
  ply.lastSeq = Number(localStorage.getItem("ply.seq") ?? 0);
  await ply.connect();
  if (!ply.session) {
    const r = await send(`AUTH DEVICE ${deviceId()}`);
    if (r.ok) { ply.session = r.value.session; ply.lastSeq = 0; }
  }
  remember();
  const profile = await send("PROFILE");
  if (profile.ok) app.me = profile.value;
  showMe();
  const pending = JSON.parse(localStorage.getItem("ply.pending") ?? "null");
  if (pending) await sendPending(pending);
  setInterval(() => { if (app.view?.match) $("deadline").textContent = deadlineText(app.view.match); }, 30000);
  document.body.dataset.ready = "true";
  await route();
}

start();
