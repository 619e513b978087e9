/**
 * The hub itself, loaded while the start page is shown: load the model with progress, build
 * the stage, connect, and the render loop that moves the visitor, sends their pose, moves
 * everyone else and draws the frame. loadAndConnect(app) takes the client's shared parts
 * from main.js (config, protocol table, session, look, preferences) and adds its own.
 */

import * as THREE from "three";
import { appearanceOf } from "./avatar-look.js";
import { AvatarCrowd } from "./avatars.js";
import { BoardFeature } from "./board.js";
import { OffersFeature } from "./offers.js";
import { PeopleToMeetFeature } from "./people-to-meet.js";
import { ConsultingFeature } from "./consulting.js";
import { PersonFinder } from "./go-to-person.js";
import { Controls } from "./controls.js";
import { EditMode } from "./edit/edit-mode.js";
import { signIn } from "./net/api.js";
import { ServerClock } from "./net/clock.js";
import { Connection } from "./net/connection.js";
import { FrameCodec } from "./net/frames.js";
import { Player } from "./player.js";
import { PlansFeature } from "./plans.js";
import { PollsFeature } from "./polls.js";
import { RoomState } from "./room-state.js";
import { SelfView } from "./self-view.js";
import { forgetEverything, forgetSession, saveLook, savePreferences, saveSession } from "./session.js";
import { SessionRenewal } from "./session-renewal.js";
import { StationsFeature } from "./stations.js";
import { TalksFeature } from "./talks.js";
import { AccountsPanel } from "./ui/accounts-panel.js";
import { ConnectionBanner } from "./ui/banner.js";
import { ChatPanel } from "./ui/chat.js";
import { Hud } from "./ui/hud.js";
import { language, onLanguageChange, t } from "./ui/i18n.js";
import { LoadingScreen } from "./ui/loading.js";
import { PeopleList } from "./ui/people.js";
import { RoomFullDialog } from "./ui/room-full.js";
import { RoomsPanel } from "./ui/rooms-panel.js";
import { LookSettings } from "./ui/look-settings.js";
import { SettingsPanel, applyPreferences } from "./ui/settings.js";
import { Visit } from "./visit.js";
import { ShareFeature } from "./share.js";
import { VoiceFeature } from "./voice.js";
import { WorkshopsFeature } from "./workshops.js";
import { LiveWorld } from "./world/live-world.js";
import { fetchWithProgress, parseGlb } from "./world/loader.js";
import { Stage } from "./world/scene.js";
import { readVenue } from "./world/venue.js";
import { WalkableFloor } from "./world/walkable.js";

/** The client's shared parts (main.js), set by loadAndConnect. */
let app;

export async function loadAndConnect(shared) {
  app = shared;
  app.phase = "loading";
  const loading = new LoadingScreen();
  loading.show();
  try {
    const buffer = await fetchWithProgress(
      app.config.world.url,
      (loaded, total) => {
        app.loading = { loaded, total };
        loading.progress(loaded, total);
      },
      app.config.world.bytes,
    );
    loading.step("loading.building");
    const gltf = await parseGlb(buffer);
    buildHub(gltf);
    loading.step("loading.connecting");
    await connect();
    loading.hide();
    showHub();
  } catch (error) {
    console.warn("hubtwin: loading failed", error);
    loading.failed(error.message, () => window.location.reload());
  }
}

function buildHub(gltf) {
  const canvas = document.getElementById("view");
  document.getElementById("hub").hidden = false;
  const stage = new Stage(canvas);
  const venue = readVenue(gltf.scene);
  stage.addWorld(gltf.scene);
  const floor = new WalkableFloor(venue.walkable);
  const player = new Player(floor);
  player.reducedMotion = app.reducedMotion;
  const entrance = venue.spawns[0];
  if (entrance) player.placeAt(entrance.x, entrance.y, entrance.z, entrance.yaw);
  const crowd = new AvatarCrowd(stage.scene);
  const raycaster = new THREE.Raycaster();
  const controls = new Controls(canvas, document.getElementById("joystick"), (clientX, clientY) => {
    if (app.edit?.clickAt(clientX, clientY)) return; // editing: a click selects
    const point = floorPointAt(stage, raycaster, venue, clientX, clientY);
    // A click on a learning station's stand opens it; anywhere else is somewhere to walk to.
    if (point && !app.stations?.clickAt(point)) player.walkTo(point.x, point.z, point.y);
  });
  controls.invertLook = app.preferences.invertLook;
  Object.assign(app, { stage, venue, floor, player, crowd, controls, worldRoot: gltf.scene });
  window.addEventListener("resize", () => stage.resize());
  document.getElementById("hub").hidden = true;
}

/** Where a click at (clientX, clientY) meets the visible hub (floor, wall, furniture), or null
 * (nothing hit, or the ceiling). */
function floorPointAt(stage, raycaster, venue, clientX, clientY) {
  const rect = stage.canvas.getBoundingClientRect();
  const ndc = new THREE.Vector2(
    ((clientX - rect.left) / rect.width) * 2 - 1,
    -((clientY - rect.top) / rect.height) * 2 + 1,
  );
  raycaster.setFromCamera(ndc, stage.camera);
  raycaster.far = 80;
  // A ceiling stops the ray (a click on it walks nowhere); it is seen from below only.
  const hit = raycaster.intersectObjects([...venue.solid, ...(venue.ceilings ?? [])], false)[0];
  return hit && !hit.object.userData.ceiling ? hit.point : null;
}

function connect() {
  const { table, config } = app;
  const clock = new ServerClock();
  const frames = new FrameCodec(table.binary);
  const connection = new Connection({
    url: config.ws_url,
    table,
    frames,
    clock,
    hello: () => ({
      token: app.session.token,
      lang: language(),
      appearance: appearanceOf(app.look),
    }),
  });
  const roomState = new RoomState();
  const banner = new ConnectionBanner();
  const hud = new Hud(app.stage.canvas, () => visit.toggleHand());
  const chat = new ChatPanel((message) => visit.sendChat(message));
  chat.setReactions(table.emoji, (emoji) => connection.send("react", { emoji }));
  // Raising a hand needs a server that knows the "hand" message.
  document.getElementById("toggle-hand").hidden = !table.accepts("hand");
  const people = new PeopleList((person) => {
    hud.open("panel-chat");
    chat.writeTo(person);
  });
  const roomsPanel = new RoomsPanel(app.venue.rooms, (roomId) => visit.jumpTo(roomId), app.venue.venue?.floors ?? []);
  const roomFull = new RoomFullDialog(
    (room, instance) => visit.jumpTo(room, instance),
    (room, instance) => connection.send("wait", { room, instance }),
    (waiting) => waiting && connection.send("cancel_wait"),
  );
  const settings = new SettingsPanel(
    app.preferences,
    app.config.site.languages,
    (preferences) => {
      app.reducedMotion = applyPreferences(preferences);
      app.player.reducedMotion = app.reducedMotion;
      app.controls.invertLook = preferences.invertLook;
    },
    () => app.session.token,
    () => {
      connection.stop();
      forgetEverything();
      setTimeout(() => window.location.assign("/"), 1500);
    },
    () => {
      connection.stop();
      forgetSession();
      setTimeout(() => window.location.assign("/"), 1500);
    },
  );
  onLanguageChange(() => {
    people.refresh();
    chat.relabelReactions();
    hud.showHand(visit.handRaised, t(visit.handRaised ? "hud.hand.lower" : "hud.hand.raise"));
    chat.renderRecipients();
    roomsPanel.render();
    if (visit.roomState.room) {
      document.getElementById("room-name").textContent = t("hud.room", { room: visit.roomName(visit.roomState.room) });
    }
  });
  document.getElementById("leave-hub").addEventListener("click", () => {
    connection.leave();
    window.location.assign("/");
  });
  connection.on("state", ({ state, code }) => {
    if (state === "closed" && (code === "token_invalid" || code === "token_expired")) renewAndReconnect(connection, code);
    if (state === "closed" && code === "token_revoked") signedOut();
  });
  // Tokens are renewed while the hub is open (accounts' tokens live hours, not days).
  app.renewal = new SessionRenewal({
    session: () => app.session,
    onRenewed: (fresh) => {
      app.session = fresh;
      saveSession(fresh);
    },
    onRefused: () => {
      connection.stop();
      signedOut();
    },
  });

  let firstJoin;
  let refused;
  const joinedOnce = new Promise((resolve, reject) => {
    firstJoin = resolve;
    refused = reject;
  });
  // A session the server ends before we ever got in ends the loading with its reason.
  connection.on("state", ({ state, code, reason }) => {
    if (state !== "closed" || visit.joinedOnce || code === "token_invalid" || code === "token_expired") return;
    refused(new Error((code && table.errorText(code, language())) || reason || code));
  });
  const visit = new Visit({
    connection, table, roomState, clock, banner, hud, chat, people, roomsPanel, roomFull, settings,
    crowd: app.crowd, player: app.player, venue: app.venue, onFirstJoin: () => firstJoin(),
  });
  const stations = new StationsFeature({
    connection, hud, roomState, venue: app.venue, token: () => app.session.token, identity: () => app.session.identity,
  });
  const talks = new TalksFeature({
    connection, clock, hud, stage: app.stage, venue: app.venue, identity: () => app.session.identity,
  });
  const workshops = new WorkshopsFeature({
    connection, table, clock, chat, crowd: app.crowd, player: app.player, roomState, scene: app.stage.scene,
    venue: app.venue, token: () => app.session.token, identity: () => app.session.identity,
    roomName: (roomId) => visit.roomName(roomId), roomIds: app.venue.rooms.map((room) => room.id),
  });
  app.polls = new PollsFeature({
    connection, table, scene: app.stage.scene, venue: app.venue, token: () => app.session.token,
  });
  const board = new BoardFeature({
    connection, table, hud, roomState, scene: app.stage.scene, venue: app.venue, token: () => app.session.token,
  });
  app.board = board;
  app.offers = new OffersFeature({
    hud, scene: app.stage.scene, venue: app.venue, token: () => app.session.token, identity: () => app.session.identity,
  });
  const finder = new PersonFinder({
    visit, roomState, crowd: app.crowd, player: app.player, note: (text) => app.visit?.banner.note(text),
  });
  app.finder = finder;
  people.onGoTo = (person) => finder.goTo({ session: person.id, room: roomState.room, instance: roomState.instance });
  people.onFollow = (person) => (finder.following?.session === person.id ? finder.stop() : finder.follow(person));
  people.followingId = () => finder.following?.session ?? null;
  finder.onChange = () => people.refresh();
  app.people = new PeopleToMeetFeature({
    chat, connection, note: (text) => app.visit?.banner.note(text), goTo: (person) => finder.goTo(person),
    token: () => app.session.token, identity: () => app.session.identity,
  });
  app.consulting = new ConsultingFeature({
    connection, table, hud, stations, scene: app.stage.scene, venue: app.venue,
    note: (text) => app.visit?.banner.note(text), token: () => app.session.token, identity: () => app.session.identity,
  });
  app.plans = new PlansFeature({
    connection, scene: app.stage.scene, venue: app.venue, token: () => app.session.token, identity: () => app.session.identity,
  });
  // Voice, where the server offers it (turned on by the visitor, with consent).
  const voice = table.accepts("voice")
    ? new VoiceFeature({
      connection, hud, crowd: app.crowd, camera: app.stage.camera, people,
      session: () => visit.session, role: () => app.session.identity.role,
    })
    : null;
  document.getElementById("toggle-voice").hidden = voice === null;
  // Sharing a screen onto the room's screens, where the server offers it.
  app.share = table.accepts("share")
    ? new ShareFeature({
      connection, hud, talks, roomState, session: () => visit.session,
      role: () => app.session.identity.role, ice: () => voice?.ice ?? [],
    })
    : null;
  Object.assign(app, { connection, clock, visit, roomState, roomsPanel, hud, stations, talks, workshops, voice });
  // People with bodies: whose voice is heard shows on their avatar; one's own look and view.
  app.crowd.voiceSpeaking = (session) => Boolean(voice?.isSpeaking(session));
  app.selfView = new SelfView({
    player: app.player, crowd: app.crowd, venue: app.venue, look: () => app.look,
    hand: () => visit.handRaised, preferences: app.preferences, save: savePreferences,
  });
  app.lookSettings = new LookSettings(app.look, table.appearance, (look) => {
    app.look = look;
    saveLook(look);
    app.selfView.restyle();
    connection.send("look", { appearance: appearanceOf(look) });
  });
  // A new world version while inside: load it and keep one's place; staff can edit it.
  app.liveWorld = new LiveWorld(app, connection);
  app.liveWorld.onChange(() => app.consulting.followWorld(app.stage.scene, app.venue));
  if (app.session.identity.role === "staff") {
    app.edit = new EditMode({ app, liveWorld: app.liveWorld, roomState });
    app.accounts = new AccountsPanel({ token: () => app.session.token, me: () => app.session.identity });
  }
  connection.connect();
  return joinedOnce;
}

/** The sign-in was revoked (signed out everywhere, erased, disabled): forget it and say so. */
function signedOut() {
  app.renewal?.stop();
  forgetSession();
  app.visit.banner.closed(t("session.revoked"));
}

/** The token ran out: a guest gets a fresh one for the same identity, then reconnects. */
async function renewAndReconnect(connection, code) {
  const identity = app.session.identity;
  if (!identity.guest) {
    // Accounts sign in again with their password, on the start page.
    app.visit.banner.closed(app.table.errorText(code, language()) ?? code);
    return;
  }
  try {
    app.session = await signIn({ name: identity.name, token: app.session.token });
    saveSession(app.session);
    connection.connect();
  } catch (error) {
    app.visit.banner.closed(error.message);
  }
}

function showHub() {
  app.phase = "hub";
  document.getElementById("hub").hidden = false;
  app.stage.resize();
  app.stage.canvas.focus();
  requestAnimationFrame(frame);
}

// --- the render loop ----------------------------------------------------------------------

let lastFrame = performance.now();
let lastPoseSent = 0;
let posePending = false;
let lastMapDraw = 0;
let fpsFrames = 0;
let fpsSince = performance.now();

function frame(now) {
  const { stage, player, crowd, controls, connection, clock } = app;
  // Long frames (a slow machine) still move at walking speed, in floor-checked sub-steps.
  const dt = Math.min(0.25, (now - lastFrame) / 1000);
  lastFrame = now;

  // 1. the visitor moves (keys, joystick, mouse, click-to-walk), walls stop them
  if (player.update(dt, controls.read())) posePending = true;

  // 2. their pose goes to the server, at most max_pose_hz and only while it changes
  const poseInterval = 1000 / app.table.limits.max_pose_hz;
  if (posePending && now - lastPoseSent >= poseInterval) {
    const p = player.position;
    if (connection.sendPose(p.x, p.y, p.z, player.yaw, player.pitch) !== null) {
      lastPoseSent = now;
      app.lastPoseSentWall = Date.now();
      posePending = false;
    }
  }

  // 3. everyone else, a little in the past, interpolated between snapshots
  if (app.selfView) app.selfView.apply(stage.camera);
  else player.applyToCamera(stage.camera);
  crowd.update(clock.now(), stage.camera);

  // 4. the site plan, a few times a second while it is open
  if (!document.getElementById("panel-rooms").hidden && now - lastMapDraw > 200) {
    lastMapDraw = now;
    const others = [...crowd.avatars.values()]
      .filter((avatar) => avatar.shown)
      .map((avatar) => ({ x: avatar.shown.x, y: avatar.shown.y, z: avatar.shown.z, colour: avatar.colour }));
    app.roomsPanel.drawMap({ x: player.position.x, y: player.position.y, z: player.position.z, yaw: player.yaw }, others);
  }

  stage.render();

  fpsFrames += 1;
  if (now - fpsSince >= 1000) {
    app.fps = (fpsFrames * 1000) / (now - fpsSince);
    fpsFrames = 0;
    fpsSince = now;
  }
  requestAnimationFrame(frame);
}

