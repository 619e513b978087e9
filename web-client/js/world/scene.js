/**
 * The three.js stage: renderer, camera, lights and shadows around the loaded hub model.
 *
 * Lighting is a sky/ground hemisphere light for soft fill plus one sun with a single
 * shadow map fitted to the hub's bounds. The building does not move, so its shadow map is
 * drawn once, not every frame; avatars get cheap blob shadows instead (avatars.js).
 * Colours are sRGB with neutral tone mapping so the model's materials look as authored.
 */

import * as THREE from "three";

const SKY = 0xdfe9f3;
const GROUND = 0x8d8474;

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
    this.renderer.shadowMap.enabled = true;
    this.renderer.shadowMap.type = THREE.PCFShadowMap;
    this.renderer.shadowMap.autoUpdate = false;

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(SKY);

    this.camera = new THREE.PerspectiveCamera(70, 1, 0.05, 200);
    this.camera.rotation.order = "YXZ";
    this.scene.add(this.camera);

    this.hemisphere = new THREE.HemisphereLight(SKY, GROUND, 1.6);
    this.scene.add(this.hemisphere);

    this.sun = new THREE.DirectionalLight(0xfff4e0, 2.2);
    this.sun.castShadow = true;
    this.sun.shadow.mapSize.set(2048, 2048);
    this.sun.shadow.bias = -0.0004;
    this.sun.shadow.normalBias = 0.03;
    this.scene.add(this.sun);
    this.scene.add(this.sun.target);

    this.resize();
  }

  /** Put the hub model on stage and fit the sun's shadow camera to it. */
  addWorld(root) {
    root.traverse((object) => {
      if (!object.isMesh) return;
      object.castShadow = object.userData.castShadow ?? !object.userData.isFloor;
      object.receiveShadow = true;
    });
    this.scene.add(root);
    root.updateMatrixWorld(true);
    const bounds = new THREE.Box3().setFromObject(root, true);
    this.fitSun(bounds);
    this.bounds = bounds;
    this.renderer.shadowMap.needsUpdate = true;
  }

  fitSun(bounds) {
    const centre = bounds.getCenter(new THREE.Vector3());
    const size = bounds.getSize(new THREE.Vector3());
    const radius = Math.max(size.x, size.z) * 0.5 + 2;
    this.sun.position.set(centre.x - radius * 0.5, centre.y + radius * 1.2, centre.z + radius * 0.7);
    this.sun.target.position.copy(centre);
    const shadowCamera = this.sun.shadow.camera;
    shadowCamera.left = -radius;
    shadowCamera.right = radius;
    shadowCamera.top = radius;
    shadowCamera.bottom = -radius;
    shadowCamera.near = 0.5;
    shadowCamera.far = radius * 4;
    shadowCamera.updateProjectionMatrix();
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
