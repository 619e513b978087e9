/**
 * window.hubtwin: a small, stable window into the running client for the browser tests
 * (and for anyone curious at the console). State is read-only copies; the few actions are
 * the ones a visitor has too. Nothing else of the client is reachable from outside.
 *
 *   hubtwin.state()             {phase, connection, identity, session, room, instance,
 *                                position: {x, y, z}, yaw, people: [{id, net, name, role}],
 *                                others: [{id, name, x, y, z, yaw, at, wall, speaking,
 *                                hand, received, delayMs}] (avatars as drawn in the last
 *                                frame; at and wall: that frame's performance.now() and
 *                                Date.now(); speaking: the chat bubble shows on their tag;
 *                                received: {x, z, wall} of their newest pose and when it
 *                                came; delayMs: how far behind it they are drawn),
 *                                lastPoseSent: Date.now() of the last pose sent,
 *                                chat: [{fromName, text, direct, history}],
 *                                corrections: [reason] (the server's pose_fix reasons),
 *                                fps, drawCalls, triangles, loading: {loaded, total},
 *                                stations: {open, near, quiz, passport} (stations.js),
 *                                talks: {room, prompt, screens: [{screen, talk, playing,
 *                                position, expected, serverNow, paused, ...}], overlay}
 *                                (talks.js), world: {digest, version, reloads, loading}
 *                                (world/live-world.js), edit: {open, selected, selectedAt,
 *                                items, changes, busy, queued (server calls waiting or on
 *                                their way), status, error, ...} (staff: edit/edit-mode.js)}
 *                                look, anim: {lod, speed, walk, phase, legSwing, armRaise,
 *                                gesture} of the others' bodies (avatars.js); view: "eyes" or
 *                                "behind"; self: the own avatar as drawn from behind (or null);
 *                                myLook; lookPreview: {frames, look, drawCalls, running,
 *                                live} (settings); startPreview: the same of the start page's
 *   hubtwin.venue()             {rooms: [{id, names, kind, capacity, bounds, floorY}], doors: [{id, rooms,
 *                                x, y, z}], spawns: [{room, x, y, z, yaw}]}
 *   hubtwin.walkTo(x, z, y?)    walk there as a click on the floor would (y: the height
 *                                clicked, on another storey too); resolves
 *                                {arrived, position, end} when the walk ends (or after
 *                                30 s); end: "arrived", "blocked", "no path", "corrected",
 *                                "keys" or "timeout"
 *   hubtwin.lookAt(x, z)        turn to face that point (as dragging the view would)
 *   hubtwin.dropConnection()    drop the WebSocket without saying bye (reconnection)
 *   hubtwin.go(room, instance)  ask to go into a room instance, as the room-full dialog's
 *                                choice of another instance does (the server decides)
 *   hubtwin.voiceInbound()      the voices arriving (getStats per m-line; voice.js)
 *   hubtwin.shareInbound()      the shared screens arriving (getStats per screen; share.js)
 *   hubtwin.renewSession()      renew the token now, as the client does at half its life;
 *                                resolves true when a fresh one was kept
 */

export function installTestHook(app) {
  const hook = {
    state() {
      const { player, roomState, crowd, connection, visit, stage } = app;
      const stats = stage ? stage.stats() : { drawCalls: 0, triangles: 0 };
      return {
        phase: app.phase,
        connection: connection?.state ?? "idle",
        identity: app.session?.identity ?? null,
        session: visit?.session ?? null,
        room: roomState?.room ?? null,
        instance: roomState?.instance ?? null,
        position: player ? { x: player.position.x, y: player.position.y, z: player.position.z } : null,
        yaw: player?.yaw ?? null,
        people: roomState
          ? roomState.people().map(({ id, net, name, role, away }) => ({ id, net, name, role, away }))
          : [],
        others: crowd
          ? [...crowd.avatars.values()].filter((a) => a.shown).map((a) => ({ id: a.id, name: a.name, ...a.shown }))
          : [],
        chat: visit
          ? visit.chatLog.map(({ fromName, text, direct, history, outgoing }) => ({ fromName, text, direct, history, outgoing }))
          : [],
        corrections: visit ? [...visit.corrections] : [],
        // the name of whom one follows (people list, go-to-person.js), or null
        following: app.finder?.following?.name ?? null,
        lastPoseSent: app.lastPoseSentWall ?? null,
        view: app.selfView?.mode ?? "eyes",
        self: crowd?.self?.shown ?? null,
        myLook: app.look ? { ...app.look } : null,
        lookPreview: app.lookSettings ? app.lookSettings.testState() : null,
        startPreview: app.startPage?.preview ? app.startPage.preview.testState() : null,
        fps: app.fps,
        drawCalls: stats.drawCalls,
        triangles: stats.triangles,
        loading: { ...app.loading },
        clockSynced: app.clock?.synced ?? false,
        stations: app.stations ? app.stations.testState() : null,
        talks: app.talks ? app.talks.testState() : null,
        // {live, rules, hands, stage, upcoming, board, announcement, moderated, markers, panelOpen}
        workshops: app.workshops ? app.workshops.testState() : null,
        // {workshop, open, current: {id, question, open, counts, answered}, polls, mine, screen}
        polls: app.polls ? app.polls.snapshot() : null,
        // {board (as board_state has it, notes kept current), wall: [the texts on each wall board]}
        board: app.board ? app.board.testState() : null,
        // {shown: offer ids in the panel's list, board: texts on the foyer's offers board, onWall}
        offers: app.offers ? app.offers.testState() : null,
        // {open, desk, queued, booth, lines, handed, saved, desks, bookings, status, signs}
        consulting: app.consulting ? app.consulting.testState() : null,
        // {teams: [{id, name, measures}], progress: teams as plans_progress has them, screen}
        plans: app.plans ? app.plans.snapshot() : null,
        world: app.liveWorld ? app.liveWorld.testState() : null,
        // the site plan: {floor: the storey shown (null in a hub of one), rooms: those drawn}
        map: app.roomsPanel ? app.roomsPanel.testState() : null,
        edit: app.edit ? app.edit.testState() : null,
        // {renewals, lastError, halfLifeAt}; the staff accounts panel {open, status, accounts}
        renewal: app.renewal ? app.renewal.testState() : null,
        accounts: app.accounts ? app.accounts.testState() : null,
        // {wanted, state, own, gen, mic, muted, held, quiet, notice, level, send, receive,
        // people: {session: state}, streams: [{mid, session, level, frequency}]} (voice.js)
        voice: app.voice ? app.voice.snapshot() : null,
        // {presenting, allowed, notice, full, shares: [{screen, gen, presenter, name, live,
        // receive, width, time, covered}]} (share.js)
        share: app.share ? app.share.snapshot() : null,
      };
    },

    venue() {
      const venue = app.venue;
      if (!venue) return null;
      return {
        rooms: venue.rooms.map(({ id, names, kind, capacity, bounds, floorY }) => ({ id, names, kind, capacity, bounds, floorY })),
        doors: venue.doors.map((door) => ({ ...door })),
        spawns: venue.spawns.map((spawn) => ({ ...spawn })),
      };
    },

    walkTo(x, z, y = null) {
      const player = app.player;
      if (!player || !player.walkTo(x, z, y)) {
        const position = player ? { x: player.position.x, y: player.position.y, z: player.position.z } : null;
        return Promise.resolve({ arrived: false, position, end: "no path" });
      }
      const started = performance.now();
      return new Promise((resolve) => {
        const check = () => {
          const position = { x: player.position.x, y: player.position.y, z: player.position.z };
          if (!player.walking) {
            const there = Math.hypot(position.x - x, position.z - z) < 0.6 && (y === null || Math.abs(position.y - y) < 0.6);
            resolve({ arrived: there, position, end: player.walkEnd });
          } else if (performance.now() - started > 30000) {
            resolve({ arrived: false, position, end: "timeout" });
          } else {
            setTimeout(check, 50);
          }
        };
        check();
      });
    },

    lookAt(x, z) {
      const player = app.player;
      if (!player) return;
      player.yaw = Math.atan2(-(x - player.position.x), -(z - player.position.z));
      player.pitch = 0;
      player.movedAt = performance.now();
    },

    dropConnection() {
      app.connection?.drop();
    },
    go(room, instance) {
      return Boolean(app.connection?.send("go", { room, instance }));
    },
    async renewSession() {
      return Boolean(await app.renewal?.renew());
    },
    /** The voice receive connection's inbound audio per mid: {session, packets, energy}. */
    async voiceInbound() {
      return app.voice ? app.voice.inbound() : {};
    },
    /** The shared screens arriving, per screen: {framesDecoded, width} (share.js). */
    async shareInbound() {
      return app.share ? app.share.inbound() : {};
    },
  };
  Object.defineProperty(window, "hubtwin", { value: Object.freeze(hook), configurable: false });
}
