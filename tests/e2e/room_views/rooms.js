/**
 * Every room of the hub as a visitor sees it, drawn by the client's own stage (lights, sky,
 * baked light), loader and venue reader (web-client/js/world/), for the room render test.
 *
 * window.roomViews: {ready, error, rooms: [{id, outdoor}], firstFrameMs,
 * show(id) -> {id, triangles, drawCalls, ceilingAbove, ceilingsHitFromAbove}}. show() stands
 * at eye height on the room's spawn point farthest from its middle, looks across the room
 * to its middle and draws one frame; ceilingAbove says whether a ray straight up from there
 * meets a ceiling, ceilingsHitFromAbove whether a ray straight down from above the building
 * meets one (it must not: ceilings are seen from below only).
 */

import * as THREE from "three";
import { parseGlb } from "/js/world/loader.js";
import { Stage } from "/js/world/scene.js";
import { readVenue } from "/js/world/venue.js";

const state = { ready: false, error: null };
window.roomViews = state;
const EYE = 1.6;

async function main() {
  const started = performance.now();
  const stage = new Stage(document.getElementById("view"));
  const response = await fetch("/hub.glb");
  const gltf = await parseGlb(await response.arrayBuffer());
  const venue = readVenue(gltf.scene);
  stage.addWorld(gltf.scene);
  const raycaster = new THREE.Raycaster();

  function show(id) {
    const room = venue.rooms.find((r) => r.id === id);
    const middle = new THREE.Vector3((room.bounds.x0 + room.bounds.x1) / 2, room.floorY + 1.3, (room.bounds.z0 + room.bounds.z1) / 2);
    const spawns = venue.spawns.filter((s) => s.room === id);
    const from = spawns.reduce((best, s) =>
      Math.hypot(s.x - middle.x, s.z - middle.z) > Math.hypot(best.x - middle.x, best.z - middle.z) ? s : best,
    );
    stage.camera.position.set(from.x, from.y + EYE, from.z);
    stage.camera.lookAt(middle);
    stage.camera.updateMatrixWorld(true);
    stage.render();
    const stats = stage.stats();
    raycaster.set(stage.camera.position, new THREE.Vector3(0, 1, 0));
    const up = raycaster.intersectObjects(venue.ceilings, false);
    raycaster.set(new THREE.Vector3(from.x, 100, from.z), new THREE.Vector3(0, -1, 0));
    const down = raycaster.intersectObjects(venue.ceilings, false);
    return { id, ...stats, ceilingAbove: up.length > 0, ceilingsHitFromAbove: down.length > 0 };
  }

  stage.camera.position.set(0, 20, 40);
  stage.camera.lookAt(0, 0, 0);
  stage.render();
  Object.assign(state, {
    ready: true,
    firstFrameMs: performance.now() - started,
    rooms: venue.rooms.map((r) => ({ id: r.id, outdoor: r.outdoor })),
    ceilings: venue.ceilings.length,
    show,
  });
}

main().catch((error) => {
  state.error = String(error && error.stack ? error.stack : error);
});
