/**
 * Renders the built hub model the way visitors will see it (sky/ground fill light, one sun
 * with shadows, neutral tone mapping) from a named camera, for the render test.
 *
 * ?view=overview (default) | inside: the overview looks at the whole building from above the
 * south-east corner (?from=nw: the north-west); "inside" stands at eye height on a spawn point: the first of ?room=
 * (default foyer), or the one named by ?spawn=.
 * The page reports on window.viewer: {ready, error, renderer, triangles, drawCalls, venue}.
 */

import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

const state = { ready: false, error: null };
window.viewer = state;

function venueOf(root) {
  const venue = { rooms: [], spawns: [], anchors: [], walkable: 0 };
  root.traverse((object) => {
    const meta = object.userData?.hubtwin;
    if (!meta) return;
    if (meta.type === "room") venue.rooms.push(meta.id);
    if (meta.type === "spawn") venue.spawns.push({ id: meta.id, room: meta.room, object });
    if (meta.type === "anchor") venue.anchors.push(meta.id);
    if (meta.type === "walkable") {
      object.visible = false; // KHR_node_visibility: three.js does not read it yet
      venue.walkable += 1;
    }
  });
  return venue;
}

function buildingBounds(root) {
  const box = new THREE.Box3();
  root.traverse((object) => {
    const meta = object.userData?.hubtwin;
    if (meta?.type === "room") {
      const [sx, sy, sz] = meta.size;
      const c = object.getWorldPosition(new THREE.Vector3());
      box.expandByPoint(new THREE.Vector3(c.x - sx / 2, c.y - sy / 2, c.z - sz / 2));
      box.expandByPoint(new THREE.Vector3(c.x + sx / 2, c.y + sy / 2, c.z + sz / 2));
    }
  });
  return box;
}

async function main() {
  const params = new URLSearchParams(location.search);
  const view = params.get("view") || "overview";
  const canvas = document.getElementById("view");
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(1);
  renderer.setSize(window.innerWidth, window.innerHeight, false);
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.toneMapping = THREE.NeutralToneMapping;
  renderer.shadowMap.enabled = true;
  renderer.shadowMap.type = THREE.PCFShadowMap;

  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xdfe9f3);
  scene.fog = new THREE.Fog(0xdfe9f3, 90, 220);
  scene.add(new THREE.HemisphereLight(0xdfe9f3, 0x8d8474, 1.6));
  const sun = new THREE.DirectionalLight(0xfff4e0, 2.2);
  sun.castShadow = true;
  sun.shadow.mapSize.set(2048, 2048);
  sun.shadow.bias = -0.0004;
  sun.shadow.normalBias = 0.03;
  scene.add(sun, sun.target);

  const gltf = await new GLTFLoader().loadAsync(params.get("model") || "/hub.glb");
  const root = gltf.scene;
  const venue = venueOf(root);
  const ceilings = new Set();
  root.traverse((object) => {
    if (object.userData?.hubtwin?.type === "ceiling") object.traverse((child) => ceilings.add(child));
  });
  root.traverse((object) => {
    if (object.isMesh) {
      object.castShadow = !ceilings.has(object); // seen from below only: no roof for the sun
      object.receiveShadow = true;
    }
  });
  scene.add(root);
  root.updateMatrixWorld(true);

  const bounds = buildingBounds(root);
  const centre = bounds.getCenter(new THREE.Vector3());
  const size = bounds.getSize(new THREE.Vector3());
  const radius = Math.max(size.x, size.z) * 0.5 + 6;
  sun.position.set(centre.x - radius * 0.6, centre.y + radius * 1.3, centre.z + radius * 0.8);
  sun.target.position.copy(centre);
  Object.assign(sun.shadow.camera, { left: -radius, right: radius, top: radius, bottom: -radius, near: 1, far: radius * 5 });
  sun.shadow.camera.updateProjectionMatrix();

  const camera = new THREE.PerspectiveCamera(45, window.innerWidth / window.innerHeight, 0.1, 400);
  if (view === "inside") {
    const wanted = params.get("spawn");
    const spawn = wanted
      ? venue.spawns.find((s) => s.id === wanted)
      : venue.spawns.find((s) => s.room === (params.get("room") || "foyer"));
    const p = spawn.object.getWorldPosition(new THREE.Vector3());
    const forward = new THREE.Vector3(0, 0, 1).applyQuaternion(spawn.object.getWorldQuaternion(new THREE.Quaternion()));
    camera.fov = 70;
    camera.position.set(p.x, p.y + 1.6, p.z);
    camera.lookAt(p.x + forward.x, p.y + 1.45, p.z + forward.z);
  } else {
    const distance = Math.max(size.x, size.z) * 1.05;
    const side = params.get("from") === "nw" ? -1 : 1; // south-east (default) or north-west
    camera.position.set(
      centre.x + side * distance * 0.45,
      centre.y + distance * 0.75,
      centre.z + side * distance * 0.85,
    );
    camera.lookAt(centre.x, 0, centre.z + size.z * 0.04);
  }
  camera.updateProjectionMatrix();
  renderer.render(scene, camera);

  const gl = renderer.getContext();
  const debug = gl.getExtension("WEBGL_debug_renderer_info");
  Object.assign(state, {
    ready: true,
    renderer: debug ? gl.getParameter(debug.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER),
    triangles: renderer.info.render.triangles,
    drawCalls: renderer.info.render.calls,
    venue: { rooms: venue.rooms, spawns: venue.spawns.length, anchors: venue.anchors, walkable: venue.walkable },
  });
}

main().catch((error) => {
  state.error = String(error && error.stack ? error.stack : error);
});
