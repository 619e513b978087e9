/**
 * A small 3D preview of the visitor's own avatar: the crowd's own body code (avatars.js)
 * drawing one look into a canvas of its own, only while it is on screen. Used by the start
 * page and by the settings dialog; each wakes it when it comes into view. Turning, it draws
 * every frame (slowly turning, still with reduced motion) until it is no longer shown; not
 * turning (the start page, which must stay light while the hub loads behind it), it draws
 * once when woken and once after each change of the look.
 */

import * as THREE from "three";
import { AvatarCrowd } from "../avatars.js";

/** Facing the viewer a little from the side, as the still preview shows it. */
const STILL_YAW = Math.PI + 0.35;

function reducedMotion() {
  return document.documentElement.classList.contains("reduced-motion");
}

export class LookPreview {
  /**
   * canvas: where to draw; look: the look shown first; shown(): whether it is on screen;
   * turning: false to draw only when woken or changed.
   */
  constructor(canvas, look, shown, { turning = true } = {}) {
    this.canvas = canvas;
    this.look = look;
    this.shown = shown;
    this.turning = turning;
    this.renderer = null;
    this.running = false;
    this.pending = false;
    this.frames = 0;
  }

  pose() {
    const still = !this.turning || reducedMotion();
    const yaw = still ? STILL_YAW : Math.PI + Math.sin(performance.now() / 1400) * 0.7;
    return { x: 0, y: 0, z: 0, yaw, pitch: 0, hand: false };
  }

  /** Show another look (the next frame draws it). */
  setLook(look) {
    this.look = look;
    this.crowd?.setSelf(this.pose(), look);
    if (!this.turning) this.drawSoon();
  }

  setup() {
    this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, alpha: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f88, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(1.5, 3, 2);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(30, this.canvas.width / this.canvas.height, 0.1, 20);
    this.camera.position.set(0, 1.1, 4.2);
    this.camera.lookAt(0, 0.95, 0);
    this.crowd = new AvatarCrowd(this.scene, 50, { tags: false });
    this.crowd.setSelf(this.pose(), this.look);
  }

  /** It came into view: draw (turning: every frame until shown() says it is gone). */
  wake() {
    if (this.running || !this.shown()) return;
    if (!this.renderer) this.setup();
    if (!this.turning) {
      this.drawSoon();
      return;
    }
    this.running = true;
    const draw = () => {
      if (!this.shown() || !this.renderer) {
        this.running = false;
        return;
      }
      this.draw();
      requestAnimationFrame(draw);
    };
    requestAnimationFrame(draw);
  }

  /** One frame, at the next animation frame (several changes before it: one frame). */
  drawSoon() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (this.shown() && this.renderer) this.draw();
    });
  }

  draw() {
    this.crowd.setSelf(this.pose());
    this.crowd.update(0, this.camera);
    this.renderer.render(this.scene, this.camera);
    this.frames += 1;
  }

  /** Let go of the drawing context (its page was left); a fresh canvas takes the old one's
   * place, so a later wake() draws again. */
  dispose() {
    if (!this.renderer) return;
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.renderer = null;
    this.crowd = null;
    const fresh = this.canvas.cloneNode(false);
    this.canvas.replaceWith(fresh);
    this.canvas = fresh;
  }

  /** {frames, look, drawCalls, running, live}: for the test hook (live: it can draw). */
  testState() {
    return {
      frames: this.frames,
      look: { ...this.look },
      drawCalls: this.renderer?.info.render.calls ?? 0,
      running: this.running,
      live: this.renderer !== null,
    };
  }
}
