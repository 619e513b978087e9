/**
 * The staff edit mode: select something standing in the hub (in the panel's list, or by
 * clicking its handle in the 3D view), move or turn it with the three.js gizmo
 * (TransformControls) or the panel's step buttons, set up assets from the library, add
 * stations, screens, boards, signs and spawn points (each at a free spot in front of the
 * staff member; a screen, board or sign on the wall they look at), move something to another
 * room, put it against a wall or in line with its neighbour, snap to a floor grid and
 * (dragging with the gizmo) to walls: brought near a wall's inner face, a thing snaps flush
 * with its back to it, facing into the room, and is saved as "to the wall" (the server puts
 * it exactly as `hubtwin world move --to-wall` does); revert one change, see the placement
 * checks, import a model by dropping its file, look at the versions (preview: what going
 * back changes, and the version itself in the 3D view for oneself alone, read-only, under a
 * banner with the way back; rollback, version 0 too), undo and redo, publish. Every change
 * goes to the server at once (saved to the draft); the server checks it with the same rules
 * as `hubtwin world …` and a refusal puts the thing back where it was, with the reason in
 * words.
 *
 * Only staff get the mode (the toolbar button is made for them alone); the server refuses
 * everyone else anyway. After a publish, world_changed reloads the model for everyone
 * (live-world.js) and the mode reads the items again.
 */

import * as THREE from "three";
import { TransformControls } from "three/addons/controls/TransformControls.js";
import { announce } from "../ui/announcer.js";
import { onLanguageChange, t } from "../ui/i18n.js";
import { EditApi } from "./api.js";
import { EditPanel } from "./edit-panel.js";
import { EditHandles } from "./handles.js";
import { alignedAt, freeSpotAhead, freeSpotsAhead, radiusOf, snap, wallSnap, wallSpotsAhead } from "./placement.js";
import { StationContentEditor } from "./station-content.js";
import { VersionPreview } from "./version-preview.js";

const STEP_M = 0.1;
const COMMIT_AFTER_MS = 400;
const PLACE_AHEAD_M = 2;
const GRID_M = 0.5;
const MOUNTED = ["screen", "board", "sign"];
const OTHER_LEFT_PANELS = ["panel-rooms", "panel-station", "panel-talks", "panel-workshop"];

export class EditMode {
  /** parts: {app (stage, venue, player, controls, hud, worldRoot, session), liveWorld, roomState}. */
  constructor({ app, liveWorld, roomState }) {
    this.app = app;
    this.roomState = roomState;
    this.api = new EditApi(() => app.session.token);
    this.items = [];
    this.library = [];
    this.changes = [];
    this.selectedId = null;
    this.timer = null;
    this.queue = Promise.resolve();
    this.pending = 0;
    /** Moves of each item sent and not yet answered (id -> count). */
    this.movesUnanswered = new Map();
    this.panel = new EditPanel({
      toggle: () => this.setOpen(!this.panel.open),
      close: () => this.setOpen(false),
      select: (id) => this.select(id),
      mode: (mode) => this.setMode(mode),
      nudge: (dx, dz) => this.nudge(dx * STEP_M, dz * STEP_M),
      turn: (degrees) => this.turn(degrees),
      remove: () => this.remove(),
      place: (asset) => this.placeAsset(asset),
      addStation: (title) => this.addStation(title),
      addScreen: (width, height) => this.addScreen(width, height),
      undo: () => this.step("undo"),
      redo: () => this.step("redo"),
      publish: (message) => this.publish(message),
      editContent: (id) => this.stationContent.show(id),
      moveToRoom: (room) => this.moveToRoom(room),
      toWall: () => this.moveSelected({ to_wall: true }),
      align: () => this.align(),
      grid: (on) => this.setGrid(on),
      wallSnap: (on) => {
        this.wallSnapOn = on;
      },
      addBoard: (title, width, height) => this.addBoard(title, width, height),
      addSign: (title, width) => this.addSign(title, width),
      addSpawn: () => this.addSpawn(),
      importFile: (file, options) => this.importFile(file, options),
      revert: (id) => this.revert(id),
      check: () => this.refreshChecks(),
      versions: () => this.loadVersions(),
      preview: (number) => this.preview(number),
      rollback: (number) => this.rollback(number),
    });
    this.grid = 0;
    this.wallSnapOn = true;
    /** The inner faces of the walls (GET /api/world/items), for snapping while dragging. */
    this.walls = [];
    this.checks = [];
    this.versions = [];
    this.previewed = null;
    this.lastImport = null;
    this.stationContent = new StationContentEditor(() => app.session.token);
    this.versionPreview = new VersionPreview(app, this.api, {
      rollback: (number) => this.rollback(number),
      changed: (on) => this.previewing(on),
    });
    const { stage } = app;
    this.handles = new EditHandles(stage.scene);
    this.raycaster = new THREE.Raycaster();
    this.gizmo = new TransformControls(stage.camera, stage.canvas);
    this.gizmo.showY = false;
    this.gizmo.translationSnap = 0.05;
    this.gizmo.rotationSnap = THREE.MathUtils.degToRad(15);
    this.gizmo.enabled = false;
    stage.scene.add(this.gizmo.getHelper());
    this.gizmo.addEventListener("objectChange", () => this.dragged());
    this.gizmo.addEventListener("mouseDown", () => {
      const handle = this.selectedHandle();
      if (handle) handle.userData.snapped = null;
    });
    this.gizmo.addEventListener("mouseUp", () => this.scheduleCommit(0));
    // A press on the gizmo must not also turn the view (controls.js looks around on drags):
    // this listener runs before controls.js's, which ignores the press while disabled.
    stage.canvas.addEventListener("pointerdown", (event) => this.pressed(event), { capture: true });
    window.addEventListener("pointerup", () => {
      this.app.controls.enabled = true;
    }, { capture: true });
    liveWorld.onChange(() => {
      this.versionPreview.worldReplaced();
      if (this.panel.open) this.refresh();
    });
    onLanguageChange(() => {
      this.panel.setItems(this.items, this.app.venue.rooms);
      this.panel.setLibrary(this.library);
      this.panel.setChanges(this.changes);
      this.versionPreview.label();
    });
    this.setMode("translate");
  }

  // --- opening and reading ------------------------------------------------------------------

  setOpen(open) {
    if (open) {
      // The left side shows one panel at a time.
      for (const id of OTHER_LEFT_PANELS) {
        if (document.getElementById(id) && this.app.hud.isOpen(id)) this.app.hud.close(id);
      }
    }
    if (!open) this.versionPreview.leave();
    this.panel.show(open);
    this.handles.group.visible = open && !this.versionPreview.active;
    this.gizmo.enabled = open;
    if (open) {
      this.refresh();
    } else {
      this.select(null);
    }
  }

  /** Read the draft's items, the library and the changes again, and show them. */
  async refresh() {
    try {
      const [listing, library, diff] = await Promise.all([this.api.items(), this.api.library(), this.api.diff()]);
      this.items = listing.items;
      this.walls = listing.walls ?? [];
      this.library = library.assets;
      this.handles.show(this.items, this.app.venue, this.app.worldRoot);
      this.panel.setItems(this.items, this.app.venue.rooms);
      this.panel.setLibrary(this.library);
      this.panel.setHistory(listing.history);
      this.showChanges(diff.changes);
      this.refreshChecks();
      const keep = this.items.some((item) => item.id === this.selectedId) ? this.selectedId : null;
      this.select(keep);
    } catch (error) {
      this.refused(error);
    }
  }

  async refreshChanges() {
    try {
      this.showChanges((await this.api.diff()).changes);
      await this.refreshChecks();
    } catch (error) {
      this.refused(error);
    }
  }

  /** The placement checks of every draft edit (what publishing would refuse or warn of). */
  async refreshChecks() {
    try {
      this.checks = (await this.api.check()).checks;
      this.panel.extras.setChecks(this.checks);
    } catch (error) {
      this.refused(error);
    }
  }

  showChanges(changes) {
    this.changes = changes;
    this.panel.setChanges(changes);
  }

  // --- selecting ----------------------------------------------------------------------------

  select(id) {
    this.flush();
    this.selectedId = id;
    const handle = id ? this.handles.byId.get(id) : null;
    if (handle) this.gizmo.attach(handle);
    else this.gizmo.detach();
    this.handles.highlight(id);
    this.panel.showSelection(handle ? id : null);
  }

  setMode(mode) {
    this.gizmo.setMode(mode);
    this.gizmo.showX = mode === "translate";
    this.gizmo.showZ = mode === "translate";
    this.gizmo.showY = mode === "rotate";
    this.panel.showMode(mode);
  }

  /** A click in the 3D view while editing: select the handle under it (or nothing). */
  clickAt(clientX, clientY) {
    if (!this.panel.open) return false;
    if (this.versionPreview.active) return true; // an old version is only looked at
    this.raycaster.setFromCamera(this.pointer(clientX, clientY), this.app.stage.camera);
    const handle = this.handles.pick(this.raycaster);
    this.select(handle ? handle.userData.item.id : null);
    return true;
  }

  pointer(clientX, clientY) {
    const rect = this.app.stage.canvas.getBoundingClientRect();
    return new THREE.Vector2(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
  }

  pressed(event) {
    if (!this.panel.open || !this.gizmo.object) return;
    const pointer = this.pointer(event.clientX, event.clientY);
    this.gizmo.pointerHover(/** @type {PointerEvent} */ ({ x: pointer.x, y: pointer.y, button: event.button }));
    if (this.gizmo.axis !== null) this.app.controls.enabled = false;
  }

  // --- moving -------------------------------------------------------------------------------

  selectedHandle() {
    return this.selectedId ? this.handles.byId.get(this.selectedId) ?? null : null;
  }

  dragged() {
    const handle = this.selectedHandle();
    if (!handle) return;
    // Things turn about the vertical only (the gizmo's view ring would tilt them).
    const yaw = new THREE.Euler().setFromQuaternion(handle.quaternion, "YXZ").y;
    handle.rotation.set(0, yaw, 0);
    if (this.gizmo.mode === "translate") this.snapToWall(handle);
    this.handles.follow(handle);
  }

  /** While dragging: flush against a wall whose face the thing's back comes near (facing
   * into the room), or back to the way it faced before once dragged away from it. */
  snapToWall(handle) {
    const before = handle.userData.snapped;
    const item = handle.userData.item;
    const spot = this.handles.spot(handle);
    const found = this.wallSnapOn ? wallSnap(item, this.walls, spot.room, spot.at) : null;
    const room = this.app.venue.rooms.find((r) => r.id === spot.room);
    if (!found || !room) {
      if (before) handle.rotation.set(0, before.yaw, 0);
      handle.userData.snapped = null;
      return;
    }
    const yaw = before ? before.yaw : handle.rotation.y; // how it faced before it snapped
    handle.position.x = room.bounds.x0 + found.at[0];
    handle.position.z = room.bounds.z0 + found.at[1];
    handle.rotation.set(0, THREE.MathUtils.degToRad(found.facing), 0);
    handle.userData.snapped = { side: found.side, yaw };
  }

  nudge(dx, dz) {
    const handle = this.selectedHandle();
    if (!handle) return;
    const step = this.grid || 0;
    handle.position.x += step ? Math.sign(dx) * step : dx;
    handle.position.z += step ? Math.sign(dz) * step : dz;
    if (step) this.snapHandle(handle);
    this.handles.follow(handle);
    this.scheduleCommit(COMMIT_AFTER_MS);
  }

  turn(degrees) {
    const handle = this.selectedHandle();
    if (!handle) return;
    handle.rotation.y += THREE.MathUtils.degToRad(degrees);
    this.handles.follow(handle);
    this.scheduleCommit(COMMIT_AFTER_MS);
  }

  /** Save the selected handle's place to the draft soon (several steps become one edit). */
  scheduleCommit(delayMs) {
    clearTimeout(this.timer);
    const handle = this.selectedHandle();
    if (!handle) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.commit(handle);
    }, delayMs);
  }

  flush() {
    if (this.timer === null) return;
    clearTimeout(this.timer);
    this.timer = null;
    const handle = this.selectedHandle();
    if (handle) this.commit(handle);
  }

  commit(handle) {
    const item = handle.userData.item;
    const spot = this.handles.spot(handle);
    const unchanged =
      spot.room === item.room &&
      Math.abs(spot.at[0] - item.at[0]) < 0.001 &&
      Math.abs(spot.at[1] - item.at[1]) < 0.001 &&
      Math.abs(((spot.facing - item.facing + 540) % 360) - 180) < 0.05;
    if (unchanged) return;
    // Snapped to a wall while dragging: the server puts it there exactly (as --to-wall).
    const toWall = handle.userData.snapped ? { to_wall: true } : { facing: spot.facing };
    handle.userData.snapped = null;
    this.movesUnanswered.set(item.id, (this.movesUnanswered.get(item.id) ?? 0) + 1);
    this.run(async () => {
      this.panel.say(t("edit.saving"));
      try {
        const result = await this.api.move({ id: item.id, kind: item.kind, room: spot.room, at: spot.at, ...toWall });
        this.answered(item.id);
        await this.updated(result);
        this.panel.say(this.withWarnings(t("edit.saved", { id: item.id }), result));
      } catch (error) {
        this.answered(item.id);
        // back to where the server has it: an earlier move may have been answered since
        if (!this.movedSince(handle)) this.handles.place(handle, handle.userData.item);
        this.refused(error);
      }
    });
  }

  answered(id) {
    const left = (this.movesUnanswered.get(id) ?? 1) - 1;
    if (left > 0) this.movesUnanswered.set(id, left);
    else this.movesUnanswered.delete(id);
  }

  /** True while the handle has moved further than what the server has answered: steps made
   * while a move was on its way (not yet sent, or sent and unanswered) are not undone. */
  movedSince(handle) {
    const id = handle.userData.item.id;
    const unsent = this.timer !== null && this.selectedHandle() === handle;
    return unsent || this.movesUnanswered.has(id);
  }

  /** One server call at a time, in order. */
  run(work) {
    this.pending += 1;
    this.queue = this.queue.then(work).finally(() => {
      this.pending -= 1;
    });
    return this.queue;
  }

  /**
   * run(work), a refusal said (refused); with busy, the panel is busy while it runs.
   * @param {() => Promise<void>} work
   * @param {{busy?: boolean}} [options]
   */
  attempt(work, { busy = false } = {}) {
    return this.run(async () => {
      if (busy) this.panel.busy(true);
      try {
        await work();
      } catch (error) {
        this.refused(error);
      } finally {
        if (busy) this.panel.busy(false);
      }
    });
  }

  /** An edit's answer: the item as it now stands (or gone), and the undo/redo counts. */
  async updated(result) {
    const id = (result.item ?? result.before).id;
    this.items = this.items.filter((item) => item.id !== id);
    const handle = this.handles.byId.get(id);
    if (result.item) {
      this.items.push(result.item);
      if (!handle) this.handles.add(result.item);
      else if (this.movedSince(handle)) handle.userData.item = result.item;
      else this.handles.place(handle, result.item);
    } else if (handle) {
      if (this.gizmo.object === handle) this.gizmo.detach();
      handle.removeFromParent();
      this.handles.byId.delete(id);
    }
    this.panel.setItems(this.items, this.app.venue.rooms);
    this.panel.setHistory(result.history);
    await this.refreshChanges();
  }

  // --- adding and removing --------------------------------------------------------------------

  /** The room the staff member stands in. */
  hereRoom() {
    const { player, venue } = this.app;
    const { x, y, z } = player.position;
    const inside = (room) => x >= room.bounds.x0 && x <= room.bounds.x1 && z >= room.bounds.z0 && z <= room.bounds.z1;
    return (
      venue.rooms.find((r) => r.id === this.roomState.room && inside(r)) ??
      venue.rooms.find((r) => inside(r) && y >= r.floorY - 0.5 && y <= r.floorY + r.height) ??
      venue.rooms.find((r) => r.id === this.roomState.room)
    );
  }

  /** Where a new thing may go, best first: free spots on the floor in front of the staff
   * member, facing them (not on top of what stands there), or for a screen or board spots on
   * the wall they look at. ``size``: what the API would list as its size (its footprint). */
  ahead(kind = "asset", size = null) {
    const { player } = this.app;
    const room = this.hereRoom();
    const radius = radiusOf({ size });
    const relative = (x, z) => [Math.round((x - room.bounds.x0) * 100) / 100, Math.round((z - room.bounds.z0) * 100) / 100];
    const { x: px, z: pz } = player.position;
    if (MOUNTED.includes(kind)) {
      const spots = wallSpotsAhead(room, this.items, px, pz, player.yaw, radius);
      if (spots.length) return spots.map((s) => ({ room: room.id, at: relative(s.x, s.z), facing: s.facing }));
    }
    const facing = Math.round(((THREE.MathUtils.radToDeg(player.yaw) % 360) + 360) % 360);
    const spots = freeSpotsAhead(room, this.items, px, pz, player.yaw, radius);
    if (spots.length) return spots.map((s) => ({ room: room.id, at: relative(s.x, s.z), facing }));
    const x = px - Math.sin(player.yaw) * PLACE_AHEAD_M;
    const z = pz - Math.cos(player.yaw) * PLACE_AHEAD_M;
    return [{ room: room.id, at: relative(x, z), facing }];
  }

  /** Try the spots in turn until the server takes one (a spot the items list cannot tell is
   * blocked, e.g. not walkable floor, is refused and the next one tried). */
  async firstTaken(spots, call) {
    let refusal = null;
    for (const spot of spots) {
      try {
        return await call(spot);
      } catch (error) {
        if (error.code !== "placement_refused") throw error;
        refusal = error;
      }
    }
    throw refusal;
  }

  placeAsset(asset) {
    const size = this.library.find((a) => a.name === asset)?.size ?? null;
    return this.create(() => this.firstTaken(this.ahead("asset", size), (spot) => this.api.place({ asset, ...spot })), "edit.placed");
  }

  addStation(title) {
    if (!title.de && !title.en) {
      this.panel.say(t("edit.titleMissing"), { error: true });
      return null;
    }
    const both = { de: title.de || title.en, en: title.en || title.de };
    return this.adding({ kind: "station", title: both }, [0.7, 1.9, 0.5]);
  }

  addScreen(width, height) {
    return this.adding({ kind: "screen", size: [width, height] }, [width, height]);
  }

  /** Add a station, screen, board or spawn point at the first spot ahead the server takes. */
  adding(fields, size) {
    return this.create(() => this.firstTaken(this.ahead(fields.kind, size), (spot) => this.api.add({ ...fields, ...spot })), "edit.placed");
  }

  addBoard(title, width, height) {
    if (!title.de && !title.en) {
      this.panel.say(t("edit.boardTitleMissing"), { error: true });
      return null;
    }
    const both = { de: title.de || title.en, en: title.en || title.de };
    return this.adding({ kind: "board", size: [width, height], title: both }, [width, height]);
  }

  /** A sign on the wall ahead: its lettering German (the big line) and English (the small
   * line below, as building.toml's wall_sign writes title and subtitle). */
  addSign(title, width) {
    if (!title.de) {
      this.panel.say(t("edit.signTextMissing"), { error: true });
      return null;
    }
    const text = title.en ? { de: title.de, en: title.en } : { de: title.de };
    return this.adding({ kind: "sign", title: text, width }, [width, width / 4]);
  }

  addSpawn() {
    return this.adding({ kind: "spawn" }, [0.6, 0, 0.6]);
  }

  // --- more moves: another room, against a wall, in line, the grid ---------------------------

  /** Move the selection with these fields (to_wall, or room and at); the answer places it. */
  moveSelected(fields) {
    const handle = this.selectedHandle();
    if (!handle) return null;
    const item = handle.userData.item;
    this.flush();
    return this.attempt(async () => {
      this.panel.say(t("edit.saving"));
      const result = await this.api.move({ id: item.id, kind: item.kind, ...fields });
      await this.updated(result);
      this.select(item.id);
      this.panel.say(this.withWarnings(t("edit.saved", { id: item.id }), result));
    });
  }

  /** To a free spot in another room (the middle of the room first). */
  moveToRoom(roomId) {
    const handle = this.selectedHandle();
    const room = this.app.venue.rooms.find((r) => r.id === roomId);
    if (!handle || !room) return null;
    const item = handle.userData.item;
    const cx = (room.bounds.x0 + room.bounds.x1) / 2;
    const cz = (room.bounds.z0 + room.bounds.z1) / 2;
    const others = this.items.filter((i) => i.id !== item.id);
    const spot = freeSpotAhead(room, others, cx, cz + 1.5, 0, radiusOf(item)) ?? { x: cx, z: cz };
    const at = [Math.round((spot.x - room.bounds.x0) * 100) / 100, Math.round((spot.z - room.bounds.z0) * 100) / 100];
    return this.moveSelected({ room: room.id, at, facing: item.facing });
  }

  align() {
    const handle = this.selectedHandle();
    if (!handle) return null;
    const at = alignedAt(handle.userData.item, this.items);
    if (!at) {
      this.panel.say(t("edit.nothingToAlign"), { error: true });
      return null;
    }
    return this.moveSelected({ room: handle.userData.item.room, at });
  }

  setGrid(on) {
    this.grid = on ? GRID_M : 0;
    this.gizmo.translationSnap = on ? GRID_M : 0.05;
  }

  /** The handle's place on the floor grid of its room. */
  snapHandle(handle) {
    const room = this.app.venue.rooms.find((r) => r.id === handle.userData.item.room);
    if (!room) return;
    handle.position.x = room.bounds.x0 + snap(handle.position.x - room.bounds.x0, this.grid);
    handle.position.z = room.bounds.z0 + snap(handle.position.z - room.bounds.z0, this.grid);
    this.handles.follow(handle);
  }

  // --- reverting, importing, versions ------------------------------------------------------------

  revert(id) {
    if (this.readOnly()) return null;
    this.flush();
    return this.attempt(async () => {
      await this.api.revert(id);
      this.panel.say(t("edit.reverted", { id }));
      await this.refresh();
    });
  }

  /** A dropped (or chosen) model file through the import; the library shows it after. */
  importFile(file, options) {
    return this.run(async () => {
      this.panel.say(t("edit.importing", { file: file.name }));
      try {
        const report = await this.api.importModel(file, options);
        this.lastImport = { ok: true, name: report.name };
        this.panel.extras.importName.value = "";
        this.library = (await this.api.library()).assets;
        this.panel.setLibrary(this.library);
        const text = [this.panel.extras.describeImport(report), ...report.notes.map((n) => t("edit.warning", { message: n }))].join(" ");
        this.panel.say(text);
        announce(text);
      } catch (error) {
        this.lastImport = { ok: false, code: error.code, message: error.message };
        this.refused(error);
      }
    });
  }

  loadVersions() {
    return this.attempt(async () => {
      const answer = await this.api.history();
      this.versions = answer.versions;
      this.panel.extras.setVersions(this.versions, answer.served);
    });
  }

  /** What going back to version ``number`` changes (a list), and the version itself in the
   * 3D view, for this staff member only. */
  preview(number) {
    this.flush();
    return this.attempt(async () => {
      this.previewed = await this.api.version(number);
      this.panel.extras.setPreview(this.previewed);
      this.panel.say(t("edit.previewLoading", { version: number }));
      await this.versionPreview.show(number);
      const text = t("edit.previewBanner", { version: number });
      this.panel.say(text);
      announce(text);
    });
  }

  /** The 3D preview began or ended: the handles and the gizmo only with the current world. */
  previewing(on) {
    if (on) this.select(null);
    this.handles.group.visible = this.panel.open && !on;
    if (!on) this.panel.say(t("edit.previewLeft"));
  }

  /** While an old version is shown, the draft is not edited (say so, and do nothing). */
  readOnly() {
    if (!this.versionPreview.active) return false;
    this.panel.say(t("edit.previewReadOnly", { version: this.versionPreview.version }), { error: true });
    return true;
  }

  rollback(number) {
    this.flush();
    return this.attempt(async () => {
      this.panel.say(t("edit.rollingBack", { version: number }));
      const result = await this.api.rollback(number);
      const text = t("edit.rolledBack", { version: number, now: result.version });
      this.panel.say(text);
      announce(text);
      this.previewed = null;
      this.panel.extras.setPreview(null);
      this.versionPreview.leave({ quiet: true });
      this.previewing(false);
      this.panel.say(text);
      const answer = await this.api.history();
      this.versions = answer.versions;
      this.panel.extras.setVersions(this.versions, answer.served);
      await this.refreshChanges();
    }, { busy: true });
  }

  create(call, sayKey) {
    if (this.readOnly()) return null;
    this.flush();
    return this.attempt(async () => {
      const result = await call();
      await this.updated(result);
      this.select(result.item.id);
      const text = this.withWarnings(t(sayKey, { id: result.item.id }), result);
      this.panel.say(text);
      announce(text);
    });
  }

  remove() {
    const handle = this.selectedHandle();
    if (!handle || this.readOnly()) return null;
    const item = handle.userData.item;
    this.flush();
    return this.attempt(async () => {
      const result = await this.api.remove(item.id, item.kind);
      this.select(null);
      await this.updated(result);
      this.panel.say(t("edit.removed", { id: item.id }));
    });
  }

  step(which) {
    if (this.readOnly()) return null;
    this.flush();
    return this.attempt(async () => {
      const result = await this.api[which]();
      await this.updated(result);
      const id = (result.item ?? result.before).id;
      this.select(result.item ? id : null);
      this.panel.say(t(which === "undo" ? "edit.undone" : "edit.redone", { id }));
    });
  }

  // --- publishing -----------------------------------------------------------------------------

  publish(message) {
    if (this.readOnly()) return null;
    if (!message) {
      this.panel.say(t("edit.messageMissing"), { error: true });
      this.panel.message.focus();
      return null;
    }
    this.flush();
    return this.attempt(async () => {
      this.panel.say(t("edit.publishing"));
      const result = await this.api.publish(message);
      this.panel.message.value = "";
      // Not switched live: the new version has other rooms (a restart serves it).
      const notLive = result.live && !result.live.switched && result.live.version !== result.version;
      const text = notLive
        ? t("edit.publishedNotLive", { version: result.version, reason: result.live.reason })
        : t("edit.published", { version: result.version });
      this.panel.say(text);
      announce(text);
      await this.refreshChanges();
    }, { busy: true });
  }

  // --- saying what happened ---------------------------------------------------------------------

  withWarnings(text, result) {
    const warnings = result.warnings ?? [];
    return [text, ...warnings.map((message) => t("edit.warning", { message }))].join(" ");
  }

  refused(error) {
    console.warn("hubtwin: edit refused", error);
    const text = error.reason
      ? t("edit.refusedBecause", { reason: t(`edit.reason.${error.reason}`), message: error.message })
      : t("edit.refused", { message: error.message });
    this.panel.say(text, { error: true });
    announce(text);
  }

  /** Where the selection and the gizmo's arrows (their pick zones) are on the page, in CSS
   * pixels, and which way one metre east and one metre north go there: for a browser test
   * to drag them with the mouse as a person would. */
  gizmoOnScreen(handle) {
    const { camera, canvas } = this.app.stage;
    const rect = canvas.getBoundingClientRect();
    const toPage = (world) => {
      const p = world.clone().project(camera);
      return [rect.left + ((p.x + 1) / 2) * rect.width, rect.top + ((1 - p.y) / 2) * rect.height];
    };
    const helper = this.gizmo.getHelper();
    helper.updateMatrixWorld(true);
    // the gizmo keeps its handles' pick shapes per mode (three's TransformControlsGizmo)
    const gizmo = /** @type {THREE.Object3D & {picker?: Record<string, THREE.Object3D>}} */ (helper.children[0]);
    const pickers = gizmo?.picker?.translate;
    const arrow = (name) => {
      const mesh = /** @type {THREE.Mesh | undefined} */ (pickers?.children.find((c) => c.name === name));
      if (!mesh) return null;
      mesh.geometry.computeBoundingBox();
      return toPage(mesh.geometry.boundingBox.getCenter(new THREE.Vector3()).applyMatrix4(mesh.matrixWorld));
    };
    const at = handle.position.clone();
    return {
      axis: this.gizmo.axis,
      dragging: this.gizmo.dragging,
      centre: toPage(at),
      x: arrow("X"),
      z: arrow("Z"),
      east: toPage(at.clone().add(new THREE.Vector3(1, 0, 0))),
      north: toPage(at.clone().add(new THREE.Vector3(0, 0, -1))),
    };
  }

  /** For the test hook. */
  testState() {
    const handle = this.selectedHandle();
    return {
      open: this.panel.open,
      selected: this.selectedId,
      selectedAt: handle ? this.handles.spot(handle) : null,
      items: this.items.length,
      changes: this.changes.length,
      busy: this.pending > 0 || this.timer !== null,
      queued: this.pending,
      status: this.panel.status.textContent,
      error: this.panel.status.classList.contains("error"),
      content: this.stationContent.testState(),
      checks: this.checks.map((c) => ({ id: c.id, ok: c.ok, warnings: c.warnings.length })),
      versions: this.versions.map((v) => ({ version: v.version, current: v.current, kind: v.kind })),
      preview: this.previewed ? { version: this.previewed.version, changes: this.previewed.changes.map((c) => c.text) } : null,
      grid: this.grid,
      view3d: this.versionPreview.testState(),
      snapped: handle?.userData.snapped ? handle.userData.snapped.side : null,
      gizmo: handle && this.panel.open ? this.gizmoOnScreen(handle) : null,
      lastImport: this.lastImport,
      library: this.library.map((a) => a.name),
      itemList: this.items.map((i) => ({ id: i.id, kind: i.kind, room: i.room, at: i.at, facing: i.facing, state: i.state })),
    };
  }
}
