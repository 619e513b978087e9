/**
 * The three.js stage: renderer, camera, sky and lights around the loaded hub model.
 *
 * The hub model brings its own shading: the world builder bakes ambient occlusion and the
 * sun's shadow into its vertex colours (docs/world-format.md, "Baked light"), so no shadow
 * map is drawn here, which keeps the software renderer fast. The lights only add shape: a
 * sky/ground hemisphere light for soft fill, a sun from the same direction the builder
 * baked its shadows for. Two lights only: each light costs every pixel on the software
 * renderer (the ceilings are unlit for the same reason).
 * The sky is a gradient dome, and far around the hub a painted horizon (fields, trees,
 * hills with wind turbines, a pithead frame) gives the windows a view.
 * Colours are sRGB with neutral tone mapping so the model's materials look as authored.
 */

import * as THREE from "three";

const SKY = 0xdfe9f3;
const ZENITH = 0x9cc3e6;
const GROUND = 0x8d8474;
/** Light thrown back up by floors: it is what lights a ceiling, so it must not be dim. */
const BOUNCE = 0xcfc6b6;
/** Towards the sun: world/baked_light.py SUN, so lit faces and baked shadows agree. */
const SUN_DIRECTION = new THREE.Vector3(-0.5, 1.2, 0.7).normalize();

/** A large dome with a vertical gradient from the horizon's haze to the zenith's blue. */
function skyDome() {
  const geometry = new THREE.SphereGeometry(400, 24, 12);
  const horizon = new THREE.Color(SKY);
  const zenith = new THREE.Color(ZENITH);
  const below = new THREE.Color(GROUND).lerp(horizon, 0.5);
  const position = geometry.getAttribute("position");
  const colours = new Float32Array(position.count * 3);
  const colour = new THREE.Color();
  for (let i = 0; i < position.count; i += 1) {
    const height = position.getY(i) / 400;
    if (height >= 0) colour.copy(horizon).lerp(zenith, Math.pow(height, 0.6));
    else colour.copy(horizon).lerp(below, Math.min(1, -height * 4));
    colour.toArray(colours, i * 3);
  }
  geometry.setAttribute("color", new THREE.BufferAttribute(colours, 3));
  const material = new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.BackSide, fog: false, depthWrite: false });
  const dome = new THREE.Mesh(geometry, material);
  dome.name = "Sky";
  dome.renderOrder = -1;
  dome.frustumCulled = false;
  dome.raycast = () => {}; // never a click target
  return dome;
}

/** A fixed pseudo-random sequence (the same landscape on every visit). */
function randomFrom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/**
 * The view out of the windows: a ring far around the hub painted with the Ruhr area's
 * horizon (fields, a tree line, hills, a pithead frame, wind turbines, town roofs).
 */
function horizonRing() {
  const width = 2048;
  const height = 256;
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  const random = randomFrom(2026);
  const horizon = 190; // the ground line in the picture (the ring's eye height)
  const ridge = (base, amplitude, step, colour) => {
    g.fillStyle = colour;
    g.beginPath();
    g.moveTo(0, height);
    let y = base;
    for (let x = 0; x <= width; x += step) {
      y = Math.min(horizon, Math.max(base - amplitude, y + (random() - 0.5) * amplitude * 0.5));
      g.lineTo(x, y);
    }
    g.lineTo(width, height);
    g.closePath();
    g.fill();
  };
  ridge(150, 40, 32, "#aebfc9"); // far hills in the haze
  ridge(168, 22, 16, "#90a9a4");
  for (let k = 0; k < 9; k += 1) {
    // wind turbines on the hills
    const x = 80 + random() * (width - 160);
    const top = 95 + random() * 30;
    g.strokeStyle = "#e8eef1";
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(x, 175);
    g.lineTo(x, top);
    const turn = random() * Math.PI;
    for (let b = 0; b < 3; b += 1) {
      const a = turn + (b * 2 * Math.PI) / 3;
      g.moveTo(x, top);
      g.lineTo(x + Math.cos(a) * 18, top + Math.sin(a) * 18);
    }
    g.stroke();
  }
  // a pithead frame and a few town roofs
  const pit = width * 0.62;
  g.strokeStyle = "#6f7a80";
  g.lineWidth = 3;
  g.beginPath();
  g.moveTo(pit - 14, 180);
  g.lineTo(pit, 118);
  g.lineTo(pit + 14, 180);
  g.moveTo(pit, 118);
  g.lineTo(pit + 26, 180);
  g.stroke();
  g.beginPath();
  g.arc(pit, 124, 7, 0, 2 * Math.PI);
  g.stroke();
  for (let k = 0; k < 40; k += 1) {
    const x = width * 0.45 + random() * width * 0.35;
    const w = 10 + random() * 18;
    const h = 8 + random() * 14;
    g.fillStyle = random() < 0.5 ? "#9a8f88" : "#8a7f7a";
    g.fillRect(x, horizon - 6 - h, w, h + 6);
  }
  // the tree line and the fields in front of it
  g.fillStyle = "#5d7f52";
  for (let x = 0; x < width; x += 9) {
    const r = 6 + random() * 9;
    g.beginPath();
    g.arc(x, horizon - r * 0.6, r, 0, 2 * Math.PI);
    g.fill();
  }
  g.fillStyle = "#7f9f5e";
  g.fillRect(0, horizon, width, height - horizon);
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.wrapS = THREE.RepeatWrapping;
  texture.repeat.set(3, 1);
  // 256 px high from y = -12 m: the ground line (px 190 of 256) sits at eye height
  const ringHeight = 45;
  const geometry = new THREE.CylinderGeometry(260, 260, ringHeight, 48, 1, true);
  const material = new THREE.MeshBasicMaterial({
    map: texture,
    transparent: true,
    side: THREE.BackSide,
    fog: false,
    depthWrite: false,
  });
  const ring = new THREE.Mesh(geometry, material);
  ring.name = "Horizon";
  ring.position.y = ringHeight / 2 - ringHeight * ((height - horizon) / height) + 1.6;
  ring.renderOrder = -1;
  ring.frustumCulled = false;
  ring.raycast = () => {};
  return ring;
}

/** The renderer, scene and first-person camera of one canvas. */
export class Stage {
  constructor(canvas) {
    this.canvas = canvas;
    this.renderer = new THREE.WebGLRenderer({
      canvas,
      antialias: window.devicePixelRatio < 2,
      powerPreference: "high-performance",
    });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.renderer.toneMapping = THREE.NeutralToneMapping;
    this.renderer.shadowMap.enabled = false; // shadows are baked into the model

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(SKY);
    this.scene.fog = new THREE.Fog(SKY, 70, 260);
    this.sky = skyDome();
    this.scene.add(this.sky);
    this.horizon = horizonRing();
    this.scene.add(this.horizon);

    this.camera = new THREE.PerspectiveCamera(70, 1, 0.05, 500);
    this.camera.rotation.order = "YXZ";
    this.scene.add(this.camera);

    this.hemisphere = new THREE.HemisphereLight(0xf0f4f8, BOUNCE, 1.9);
    this.scene.add(this.hemisphere);

    this.sun = new THREE.DirectionalLight(0xfff1dc, 1.3);
    this.scene.add(this.sun);
    this.scene.add(this.sun.target);


    this.resize();
  }

  /** Put the hub model on stage and aim the lights at it. */
  addWorld(root) {
    this.scene.add(root);
    root.updateMatrixWorld(true);
    const bounds = new THREE.Box3().setFromObject(root, true);
    this.fitSun(bounds);
    this.bounds = bounds;
  }

  fitSun(bounds) {
    const centre = bounds.getCenter(new THREE.Vector3());
    const size = bounds.getSize(new THREE.Vector3());
    const radius = Math.max(size.x, size.z) * 0.5 + 2;
    this.sun.position.copy(centre).addScaledVector(SUN_DIRECTION, radius * 2);
    this.sun.target.position.copy(centre);
    this.sky.position.set(centre.x, 0, centre.z);
    this.horizon.position.x = centre.x;
    this.horizon.position.z = centre.z;
  }

  /** Match the drawing buffer to the canvas's CSS size. */
  resize() {
    const width = this.canvas.clientWidth || window.innerWidth;
    const height = this.canvas.clientHeight || window.innerHeight;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / Math.max(height, 1);
    this.camera.updateProjectionMatrix();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }

  /** Draw calls and triangles of the last frame (for the test hook and the budget). */
  stats() {
    const info = this.renderer.info.render;
    return { drawCalls: info.calls, triangles: info.triangles };
  }
}
