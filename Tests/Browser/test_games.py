"""The web client in a real headless Chromium against a real server: each test plays through
the page with clicks, then checks the board in the DOM and what the server holds."""

import time

from harness import accept_open, check, create_challenge, line

# Hive, with the Pillbug: (piece, destination cell) in the client's axial coordinates, the
# first piece at 0,0. White's beetle climbs onto its queen at ply 7; at ply 13 white's
# pillbug (0,0) throws black's ant from 0,1 to 0,-1.
HIVE_PLIES = [
    ("wP", "0,0"), ("bB1", "1,0"), ("wQ", "-1,0"), ("bQ", "2,0"), ("wB1", "-1,-1"), ("bG1", "3,0"),
    ("wB1", "-1,0"), ("bA1", "4,0"), ("wS1", "-2,0"), ("bA1", "0,1"), ("wS2", "-3,1"), ("bG2", "3,1"),
    ("bA1", "0,-1"),
]

# Khet, classic layout: red turns its h5 pyramid, and silver's next shot comes back round
# through f5 and f4 to strike red's h4 pyramid on an unmirrored side.
KHET_PLIES = [("c1", "rotate-cw"), ("h5", "rotate-cw"), ("c1", "rotate-ccw")]
KHET_LASER = "j2 j3 j4 i4 h4 h5 g5 f5 f4 g4 h4"


def seated(a, b, match):
    """(first mover, second mover) of a started match, from the page."""
    a.open("match=" + match)
    b.open("match=" + match)
    s = a.wait(lambda d: a.status() if a.status()["status"] == "active" else None, "the match is active")
    return (a, b) if s["to_move"] == a.player else (b, a)


def play_first_legal(mover, other):
    """The mover clicks the first highlighted cell (or Pass); both pages then show the ply."""
    before = mover.status()["ply"]
    cells = mover.find_all("[data-legal]")
    if cells:
        move = cells[0].get_attribute("data-legal")
        cells[0].click()
    else:
        mover.click("[data-testid=pass]")
        move = "pass"
    mover.wait_for_ply(before + 1)
    other.wait_for_ply(before + 1)
    return move


def test_reversi_full_game(a, b, c):
    match = create_challenge(a, "reversi", side="first")
    accept_open(b, match)
    black, white = seated(a, b, match)
    plies = 0
    while black.status()["status"] == "active":
        mover = black if black.my_turn() else white
        other = white if mover is black else black
        check(mover.my_turn(), "one of the two has the move")
        move = play_first_legal(mover, other)
        plies += 1
        if move != "pass":
            colour = "black" if mover is black else "white"
            disc = other.find(f"[data-cell='{move}'] [data-piece]").get_attribute("data-piece")
            check(disc == colour, f"{move} shows a {colour} disc on the opponent's page, not {disc}")
        check(plies <= 70, "a Reversi game ends within 70 plies")
    ok, server = a.ask(f"MATCH {match}")
    check(ok and server["status"] == "finished", f"the server says the match finished: {server}")
    check(len(server["moves"]) == plies, f"the server holds the {plies} plies played: {len(server['moves'])}")
    for p in (black, white):
        p.wait(lambda d: p.status()["status"] == "finished", "the page shows the end")
        check("finished" in p.status()["text"], "the status says finished")
    rows = server["position"].split("\n")[:8]
    dom = {"black": len(black.find_all("[data-piece=black]")), "white": len(black.find_all("[data-piece=white]"))}
    check(dom["black"] == sum(r.count("x") for r in rows) and dom["white"] == sum(r.count("o") for r in rows),
          f"the page's discs {dom} are the server's final position")
    winner = server["result"]["winner"]
    if winner:
        name = next(p["name"] for p in server["players"] if p["player"] == winner)
        check(f"{name} wins" in black.status()["text"], "the page names the winner")
    black.board_screenshot("reversi")
    black.screenshot("reversi-page")


def hive_ply(mover, other, piece, cell, ply):
    hand = mover.find_all(f"[data-hand-piece='{piece}']")
    (hand[0] if hand else mover.find(f"[data-piece='{piece}']")).click()
    target = mover.wait(lambda d: (mover.find_all(f"[data-legal='{cell}']") or [None])[0],
                        f"ply {ply}: {piece} may go to {cell}")
    target.click()
    mover.wait_for_ply(ply)
    other.wait_for_ply(ply)
    top = other.find(f"[data-cell='{cell}']").get_attribute("data-piece")
    check(top == piece, f"ply {ply}: {piece} is on top at {cell} on the opponent's page, not {top}")


def test_hive_beetle_climbs_and_pillbug_throws(a, b, c):
    # An invitation by player id: the invitee accepts it from the match list.
    match = create_challenge(a, "hive", side="first", opponent=b.player, expansions="P")
    b.open()
    b.click(f"#matches li[data-match='{match}'] [data-testid=accept]")
    b.wait(lambda d: b.status()["status"] == "active", "the invitation is accepted")
    white, black = seated(a, b, match)
    check(white is a, "the challenger took the first seat (white)")
    check(len(white.find_all("[data-testid=hand-white] [data-hand-piece]")) == 12, "white has 12 pieces in hand with the Pillbug")
    for i, (piece, cell) in enumerate(HIVE_PLIES, start=1):
        # Ply 13 is white's: its pillbug throws a black piece.
        mover, other = (white, black) if i % 2 == 1 else (black, white)
        hive_ply(mover, other, piece, cell, i)
        if i == 7:
            stack = white.find("[data-cell='-1,0']")
            check(stack.get_attribute("data-stack") == "wQ wB1" and stack.get_attribute("data-height") == "2",
                  f"the beetle stands on the queen: {stack.get_attribute('data-stack')}")
            white.board_screenshot("hive-beetle")
    check(not black.find_all("[data-cell='0,1']"), "the thrown ant left 0,1")
    check(black.find("[data-cell='-1,0']").get_attribute("data-stack") == "wQ wB1", "the stack is still there")
    ok, server = a.ask(f"MATCH {match}")
    check(ok and len(server["moves"]) == 13, f"the server holds 13 plies: {server}")
    check(server["moves"][6] == "wB1 wQ", f"ply 7 is the climb: {server['moves'][6]}")
    check(server["moves"][12].startswith("bA1 "), f"ply 13 moves black's ant: {server['moves'][12]}")
    check(server["to_move"] == b.player, "black is to move after white's throw")
    check("stacked: wB1 on wQ" in server["position"], "the server's picture has the beetle on the queen")
    white.board_screenshot("hive")
    white.screenshot("hive-page")


def test_khet_capture_and_laser(a, b, c):
    match = create_challenge(a, "khet", side="first", layout="classic")
    accept_open(b, match)
    silver, red = seated(a, b, match)
    check(len(silver.find_all("[data-piece^=red-]")) == 13, "red starts with 13 pieces")
    check(silver.find("[data-cell=c1] [data-piece]").get_attribute("data-facing") == "NW", "c1's pyramid faces NW")
    for i, (square, button) in enumerate(KHET_PLIES, start=1):
        mover, other = (silver, red) if i % 2 == 1 else (red, silver)
        mover.click(f"[data-cell={square}]")
        mover.click(f"[data-testid={button}]")
        mover.wait_for_ply(i)
        other.wait_for_ply(i)
    check(silver.find("[data-cell=c1] [data-piece]").get_attribute("data-facing") == "NW", "c1 turned back to NW")
    check(silver.find("[data-cell=h5] [data-piece]").get_attribute("data-facing") == "SW", "red's h5 turned to SW")
    ok, server = a.ask(f"MATCH {match}")
    check(ok and " ".join(server["laser"]) == KHET_LASER, f"the server's laser: {server.get('laser')}")
    for p in (silver, red):
        laser = p.wait(lambda d: (p.find_all("[data-testid=laser]") or [None])[0], "the laser is drawn")
        check(laser.get_attribute("data-laser") == KHET_LASER, f"the drawn laser: {laser.get_attribute('data-laser')}")
        points = laser.get_attribute("points").split()
        check(len(points) == len(KHET_LASER.split()) + 1, "the beam starts at the sphinx and crosses each square")
        check(not p.find_all("[data-cell=h4] [data-piece]"), "red's h4 pyramid is gone")
        check(len(p.find_all("[data-piece^=red-]")) == 12, "red has 12 pieces left")
    # The finished plies step back: at ply 2 the h4 pyramid still stands.
    silver.click("[data-testid=step-prev]")
    silver.wait(lambda d: silver.find("#ply-label").get_attribute("data-step") == "2", "stepped to ply 2")
    check(silver.find_all("[data-cell=h4] [data-piece=red-pyramid]"), "at ply 2 red's h4 pyramid stands")
    silver.click("[data-testid=step-last]")
    silver.wait(lambda d: not silver.find_all("[data-cell=h4] [data-piece]"), "back at ply 3")
    silver.board_screenshot("khet")
    silver.screenshot("khet-page")


def test_reload_resumes_without_losing_a_move(a, b, c):
    match = create_challenge(a, "reversi", side="first")
    accept_open(b, match)
    black, white = seated(a, b, match)
    play_first_legal(black, white)
    # Black reloads while white moves: the page comes back to the match with white's move.
    token = black.session()
    black.js("window.beforeReload = true; location.reload()")
    move = play_first_legal_one_side(white)
    black.wait(lambda d: d.execute_script("return window.beforeReload === undefined && document.body.dataset.ready === 'true'"),
               "reloaded")
    s = black.wait_for_ply(2)
    check(s["to_move"] == black.player and "Your turn" in s["text"], f"after the reload it is black's turn: {s}")
    check(black.session() == token, "the reloaded page resumed its session (AUTH SESSION), not a new login")
    check(black.find(f"[data-cell='{move}'] [data-piece]").get_attribute("data-piece") == "white", "white's move shows")
    # The connection drops right after a MOVE is sent, before its reply: the page resumes
    # its session and sends the move again; the server applies it once.
    cell = black.find_all("[data-legal]")[0]
    chosen = cell.get_attribute("data-legal")
    black.js("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true})); window.plyApp.ply.drop();", cell)
    black.wait_for_ply(3)
    white.wait_for_ply(3)
    check(black.find("#connection").get_attribute("data-state") == "open", "the page is connected again")
    ok, server = white.ask(f"MATCH {match}")
    check(ok and server["ply"] == 3 and server["moves"][2] == chosen, f"the server played {chosen} once as ply 3: {server}")
    check(white.find(f"[data-cell='{chosen}'] [data-piece]").get_attribute("data-piece") == "black", "white's page shows it")
    play_first_legal(white, black)
    black.board_screenshot("reload")


def play_first_legal_one_side(mover):
    before = mover.status()["ply"]
    cell = mover.find_all("[data-legal]")[0]
    move = cell.get_attribute("data-legal")
    cell.click()
    mover.wait_for_ply(before + 1)
    return move


def test_watcher_sees_moves_live(a, b, c):
    match = create_challenge(a, "reversi", side="first")
    # The watcher opens the open challenge from the lobby's list and follows it.
    c.open()
    for _ in range(20):
        if c.find_all(f"#open li[data-match='{match}'] [data-testid=watch-open]"):
            break
        c.click("[data-testid=refresh-open]")
        time.sleep(0.25)
    c.click(f"#open li[data-match='{match}'] [data-testid=watch-open]")
    c.wait(lambda d: "watching" in c.status()["text"], "the watcher's page says watching")
    accept_open(b, match)
    black, white = seated(a, b, match)
    c.wait_for_ply(0)
    for i in range(1, 7):
        mover, other = (black, white) if i % 2 == 1 else (white, black)
        move = play_first_legal(mover, other)
        s = c.wait_for_ply(i)
        check(s["ply"] == i, f"the watcher sees ply {i}")
        colour = "black" if mover is black else "white"
        c.wait(lambda d: c.find(f"[data-cell='{move}'] [data-piece]").get_attribute("data-piece") == colour,
               f"the watcher sees {move} ({colour})")
        check(not c.find_all("[data-legal]"), "a watcher has nothing to click")
    black.find("[data-testid=chat-input]").send_keys("good luck")
    black.click("[data-testid=chat-send]")
    c.wait(lambda d: any("good luck" in e.text for e in c.find_all("[data-testid=chat-line]")), "the watcher reads the chat")
    dom = sorted(e.get_attribute("data-cell") for e in c.find_all("[data-cell]") if e.find_elements("css selector", "[data-piece]"))
    ok, server = a.ask(f"MATCH {match}")
    rows = server["position"].split("\n")[:8]
    expected = sorted(f"{'abcdefgh'[f]}{r + 1}" for r in range(8) for f in range(8) if rows[r][f] != ".")
    check(dom == expected, f"the watcher's board is the server's: {dom} vs {expected}")
    c.screenshot("watcher")


def test_email_link_and_automatch(a, b, c):
    # The account of this device gains an email; logging in with it reaches the same player.
    email = f"{a.player}-{int(time.time())}@example.com"
    a.open()
    a.find("[data-testid=email]").send_keys(email)
    a.find("[data-testid=password]").send_keys("correct-horse-battery")
    a.click("[data-testid=link-email]")
    a.wait(lambda d: any(email in m.text for m in a.find_all("[data-testid=message]")), "the page confirms the link")
    ok, login = line(a.base_url, f"AUTH EMAIL {email} correct-horse-battery")
    check(ok and login["player"] == a.player, f"AUTH EMAIL logs in as {a.player}: {login}")
    if a.mailed_code:
        # The server confirms emails: the page asks for the code mailed to the address.
        code = a.wait(lambda d: a.mailed_code(email), "the code is in the outbox")
        a.find("[data-testid=confirm-code]").send_keys(code)
        a.click("[data-testid=confirm-email]")
        a.wait(lambda d: any(f"{email} confirmed" in m.text for m in a.find_all("[data-testid=message]")),
               "the page says the email is confirmed")
        check(not a.find("[data-testid=confirm-code]").is_displayed(), "the code's form is gone")
    # Both ask for a Khet opponent; the server pairs them and both pages open the match.
    for p in (a, b):
        p.open()
        p.js("document.getElementById('game').value = 'khet';"
             "document.getElementById('game').dispatchEvent(new Event('change'))")
        p.click("[data-testid=automatch]")
    ids = [p.wait(lambda d: d.execute_script("return new URLSearchParams(location.hash.slice(1)).get('match')"),
                  "automatch opens the match") for p in (a, b)]
    check(ids[0] == ids[1], f"both pages show the same match: {ids}")
    for p in (a, b):
        p.wait(lambda d: p.status()["status"] == "active", "the paired match is active")
    ok, server = a.ask(f"MATCH {ids[0]}")
    check(ok and sorted(x["player"] for x in server["players"]) == sorted([a.player, b.player]),
          f"the server paired the two: {server}")
    check(len(a.find_all("[data-piece^=silver-]")) == 13, "the Khet board is drawn")
    first = a if server["to_move"] == a.player else b
    first.click("[data-testid=resign]")
    a.wait(lambda d: a.status()["status"] == "finished", "the resignation ends the match")
    check("resign" in a.status()["text"], f"the page says why it ended: {a.status()['text']}")


TESTS = [
    test_reversi_full_game,
    test_hive_beetle_climbs_and_pillbug_throws,
    test_khet_capture_and_laser,
    test_reload_resumes_without_losing_a_move,
    test_watcher_sees_moves_live,
    test_email_link_and_automatch,
]
