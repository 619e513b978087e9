/**
 * The three.js stage: renderer, camera, sky and lights around the loaded hub model.
 *
 * The hub model brings its own shading: the world builder bakes ambient occlusion and the
 * sun's shadow into its vertex colours (docs/world-format.md, "Baked light"), so no shadow
 * map is drawn here, which keeps the software renderer fast. The lights only add shape: a
 * sky/ground hemisphere light for soft fill, a sun from the same direction the builder
 * baked its shadows for, and a faint counter light so faces turned away are not flat.
 * The sky is a gradient dome, seen through the windows and above the terrace.
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

    this.camera = new THREE.PerspectiveCamera(70, 1, 0.05, 500);
    this.camera.rotation.order = "YXZ";
    this.scene.add(this.camera);

    this.hemisphere = new THREE.HemisphereLight(0xf0f4f8, BOUNCE, 1.9);
    this.scene.add(this.hemisphere);

    this.sun = new THREE.DirectionalLight(0xfff1dc, 1.3);
    this.scene.add(this.sun);
    this.scene.add(this.sun.target);

    this.counterLight = new THREE.DirectionalLight(0xdce8f5, 0.35);
    this.scene.add(this.counterLight);
    this.scene.add(this.counterLight.target);

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
    this.counterLight.position.set(centre.x + radius, centre.y + radius * 0.4, centre.z - radius);
    this.counterLight.target.position.copy(centre);
    this.sky.position.set(centre.x, 0, centre.z);
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
