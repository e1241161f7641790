// ply.js: the Ply line protocol over a WebSocket, for any web game (copy this one file).
//
//   const ply = new Ply();                        // same host, /ws, ws: or wss: as the page
//   ply.onEvent((type, body) => ...);             // EVENT lines, in order, with their seq
//   ply.onStatus((state, detail) => ...);         // "connecting" | "open" | "closed"
//   await ply.connect();
//   const r = await ply.request("AUTH DEVICE my-device-0001");
//   if (r.ok) ply.session = r.value.session;     // later reconnects resume this session
//
// Every request gets one reply, in order (PROTOCOL.md, "Framing"), so replies are matched
// to requests by a queue. A reply resolves to {ok, value, code, message, line}; it never
// rejects. After a dropped connection the module reconnects with backoff, sends
// `AUTH SESSION <session> <last-seq>` first (the server then replays the missed events),
// and sends again every request that had no reply and is safe to repeat: a MOVE carries
// its ply number, so a repeat of an applied move answers OK with "duplicate":true.

/** Verbs that change nothing, or that the server makes safe to repeat. */
const REPEATABLE = new Set([
  "PING", "HELP", "GAMES", "PROFILE", "OPEN", "MATCHES", "MATCH", "LEGAL", "MOVE",
  "WATCH", "UNWATCH", "NOTIFICATIONS", "SEEN", "BLOCKS", "RECORD",
]);

/** Reads one reply or event line into an object. */
export function parseLine(line) {
  if (line.startsWith("EVENT ")) {
    const rest = line.slice(6);
    const space = rest.indexOf(" ");
    const type = space < 0 ? rest : rest.slice(0, space);
    const body = space < 0 ? {} : JSON.parse(rest.slice(space + 1));
    return { event: type, body };
  }
  if (line === "OK") return { ok: true, value: null, line };
  if (line.startsWith("OK ")) return { ok: true, value: JSON.parse(line.slice(3)), line };
  if (line.startsWith("ERR ")) {
    const rest = line.slice(4);
    const space = rest.indexOf(" ");
    return {
      ok: false,
      code: space < 0 ? rest : rest.slice(0, space),
      message: space < 0 ? "" : rest.slice(space + 1),
      line,
    };
  }
  return { ok: false, code: "bad_reply", message: line, line };
}

export class Ply {
  constructor({ url } = {}) {
    this.url = url ?? `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
    /** The session token to resume with; set it after an AUTH reply. */
    this.session = null;
    /** The highest event seq seen, for `AUTH SESSION <session> <last-seq>`. */
    this.lastSeq = 0;
    this.socket = null;
    this.sent = [];      // requests on the wire, waiting for their reply, oldest first
    this.waiting = [];   // requests made while disconnected
    this.eventHandlers = [];
    this.statusHandlers = [];
    this.attempt = 0;
    this.closedByUser = false;
    /** Optional: returns an AUTH line to log in again when the session is refused. */
    this.relogin = null;
  }

  onEvent(fn) { this.eventHandlers.push(fn); }
  onStatus(fn) { this.statusHandlers.push(fn); }

  get isOpen() { return this.socket?.readyState === WebSocket.OPEN && this.ready; }

  /** Opens the connection; resolves once it is open (and resumed, with a session). */
  connect() {
    this.closedByUser = false;
    return new Promise((resolve) => this.open(resolve));
  }

  /** Sends one request line; resolves with its reply. */
  request(line) {
    return new Promise((resolve) => {
      const entry = { line, resolve };
      if (this.isOpen) this.transmit(entry);
      else this.waiting.push(entry);
    });
  }

  /** Closes for good (no reconnect). */
  close() {
    this.closedByUser = true;
    this.socket?.close();
  }

  /** Drops the connection as a network failure would; it reconnects (for tests). */
  drop() { this.socket?.close(4000, "dropped"); }

  open(resolve) {
    this.ready = false;
    this.status("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = async () => {
      if (this.session) {
        // The resume goes first, ahead of anything queued, so replayed events arrive
        // before any reply to the queued requests.
        const reply = await this.exchange(`AUTH SESSION ${this.session} ${this.lastSeq}`);
        if (reply.code === "disconnected") return;
        if (reply.ok && reply.value?.resync) this.emit("resync", {});
        if (!reply.ok) {
          // The token is gone (logged out, or refused): log in afresh if the page says how.
          this.session = null;
          this.status("expired", reply);
          const line = this.relogin?.();
          if (line) {
            const again = await this.exchange(line);
            if (again.ok) this.session = again.value?.session ?? null;
            // A fresh login replays nothing, and the numbering may have started over.
            this.lastSeq = 0;
            this.emit("resync", {});
          }
        }
      }
      this.ready = true;
      this.attempt = 0;
      this.status("open");
      const queued = this.waiting;
      this.waiting = [];
      for (const entry of queued) this.transmit(entry);
      resolve?.();
      resolve = null;
    };
    socket.onmessage = (m) => this.receive(String(m.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.ready = false;
      // Requests without a reply: repeat the safe ones, answer the others.
      const repeat = [];
      for (const entry of this.sent) {
        if (entry.internal) entry.resolve({ ok: false, code: "disconnected", message: "", line: "" });
        else if (REPEATABLE.has(verbOf(entry.line))) repeat.push(entry);
        else entry.resolve({ ok: false, code: "disconnected", message: "the connection dropped; not sent again", line: "" });
      }
      this.sent = [];
      this.waiting = [...repeat, ...this.waiting];
      if (this.closedByUser) return this.status("closed");
      const delay = Math.min(8000, 250 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt += 1;
      this.status("closed", { retryIn: Math.round(delay) });
      setTimeout(() => this.open(resolve), delay);
    };
  }

  /** A request of the module's own (the resume), ahead of the queue. */
  exchange(line) {
    return new Promise((resolve) => this.transmit({ line, resolve, internal: true }));
  }

  transmit(entry) {
    this.sent.push(entry);
    this.socket.send(entry.line);
  }

  receive(line) {
    const parsed = parseLine(line);
    if (parsed.event) {
      const seq = parsed.body?.seq;
      if (typeof seq === "number") {
        // A replayed event already seen (after a resync or a race) is not shown twice.
        if (seq <= this.lastSeq) return;
        this.lastSeq = seq;
      }
      this.emit(parsed.event, parsed.body);
      return;
    }
    const entry = this.sent.shift();
    entry?.resolve(parsed);
  }

  emit(type, body) {
    for (const fn of this.eventHandlers) {
      try { fn(type, body); } catch (e) { console.error(e); }
    }
  }

  status(state, detail) {
    for (const fn of this.statusHandlers) {
      try { fn(state, detail); } catch (e) { console.error(e); }
    }
  }
}

function verbOf(line) {
  const words = line.trim().split(/\s+/);
  const verb = words[0]?.startsWith("#") ? words[1] : words[0];
  return (verb ?? "").toUpperCase();
}
