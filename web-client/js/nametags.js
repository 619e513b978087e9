/**
 * Name tags over the avatars: text drawn with canvas fillText into one texture atlas and
 * shown as camera-facing quads of a single instanced mesh, so all tags cost one draw call.
 * Names are painted as pixels; they never reach the DOM, let alone as HTML.
 *
 * A tag shows the name, a marker for a raised hand, a speech bubble while the person has
 * just written in the chat, sound waves while their voice is heard, and the emoji of a
 * reaction.
 */

import * as THREE from "three";
import { siteColour } from "./ui/theme.js";

const SLOT_W = 320;
const SLOT_H = 64;
const COLUMNS = 3;
const ROWS = 22;
export const TAG_SLOTS = COLUMNS * ROWS;
const TAG_WIDTH = 1.5;
const TAG_HEIGHT = TAG_WIDTH * (SLOT_H / SLOT_W);

const vertexShader = /* glsl */ `
  attribute vec4 slotRect;
  varying vec2 vUv;
  void main() {
    vUv = slotRect.xy + uv * slotRect.zw;
    vec4 centre = modelViewMatrix * instanceMatrix * vec4(0.0, 0.0, 0.0, 1.0);
    // Real size up close, then growing with distance so names stay readable further away.
    centre.xy += position.xy * clamp(-centre.z / 4.0, 1.0, 3.0);
    gl_Position = projectionMatrix * centre;
  }
`;

const fragmentShader = /* glsl */ `
  uniform sampler2D atlas;
  varying vec2 vUv;
  void main() {
    vec4 texel = texture2D(atlas, vUv);
    if (texel.a < 0.5) discard;
    gl_FragColor = vec4(texel.rgb, 1.0);
    #include <colorspace_fragment>
  }
`;

export class NameTags {
  constructor(scene) {
    this.canvas = document.createElement("canvas");
    this.canvas.width = SLOT_W * COLUMNS;
    this.canvas.height = SLOT_H * ROWS;
    this.context = this.canvas.getContext("2d");
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.texture.generateMipmaps = false;
    this.texture.minFilter = THREE.LinearFilter;

    const geometry = new THREE.PlaneGeometry(TAG_WIDTH, TAG_HEIGHT);
    this.slotRects = new THREE.InstancedBufferAttribute(new Float32Array(TAG_SLOTS * 4), 4);
    geometry.setAttribute("slotRect", this.slotRects);
    const material = new THREE.ShaderMaterial({
      uniforms: { atlas: { value: this.texture } },
      vertexShader,
      fragmentShader,
    });
    this.mesh = new THREE.InstancedMesh(geometry, material, TAG_SLOTS);
    this.mesh.count = 0;
    this.mesh.frustumCulled = false;
    this.mesh.renderOrder = 2;
    this.mesh.name = "name-tags";
    scene.add(this.mesh);

    this.freeSlots = Array.from({ length: TAG_SLOTS }, (_, i) => TAG_SLOTS - 1 - i);
    this.drawn = new Map();
    this.matrix = new THREE.Matrix4();
  }

  /** Paint the tag for key (an avatar id) unless it already shows exactly this. */
  paint(key, { name, colour, hand, speaking, voice = false, emoji = "" }) {
    const signature = `${name}|${colour}|${hand}|${speaking}|${voice}|${emoji}`;
    let entry = this.drawn.get(key);
    if (entry && entry.signature === signature) return;
    if (!entry) {
      const slot = this.freeSlots.pop();
      if (slot === undefined) return;
      entry = { slot, signature: "" };
      this.drawn.set(key, entry);
    }
    entry.signature = signature;
    this.drawSlot(entry.slot, name, colour, hand, speaking, emoji, voice);
    this.texture.needsUpdate = true;
  }

  drawSlot(slot, name, colour, hand, speaking, emoji, voice = false) {
    const ctx = this.context;
    const x0 = (slot % COLUMNS) * SLOT_W;
    const y0 = Math.floor(slot / COLUMNS) * SLOT_H;
    ctx.clearRect(x0, y0, SLOT_W, SLOT_H);
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, y0, SLOT_W, SLOT_H);
    ctx.clip();

    ctx.font = '600 26px system-ui, "Noto Sans", "DejaVu Sans", sans-serif';
    const iconSpace = (hand ? 34 : 0) + (speaking ? 38 : 0) + (voice ? 30 : 0) + (emoji ? 36 : 0);
    let text = name;
    while (text.length > 1 && ctx.measureText(text).width > SLOT_W - 36 - iconSpace) {
      text = text.slice(0, -1);
    }
    if (text !== name) text = `${text.trimEnd()}…`;
    const textWidth = ctx.measureText(text).width;
    const width = Math.min(SLOT_W - 4, textWidth + 32 + iconSpace);
    const left = x0 + (SLOT_W - width) / 2;
    const top = y0 + 8;
    const height = SLOT_H - 16;

    ctx.fillStyle = "rgba(28, 38, 33, 0.92)";
    roundRect(ctx, left, top, width, height, 12);
    ctx.fill();
    ctx.fillStyle = colour;
    ctx.fillRect(left + 10, top + height - 6, width - 20, 3);

    ctx.fillStyle = "#ffffff";
    ctx.textBaseline = "middle";
    ctx.fillText(text, left + 16, top + height / 2 - 1);
    let iconX = left + 16 + textWidth + 8;
    if (hand) {
      drawHand(ctx, iconX, top + 6, siteColour("accent"));
      iconX += 34;
    }
    if (speaking) {
      drawBubble(ctx, iconX, top + 8);
      iconX += 38;
    }
    if (voice) {
      drawWaves(ctx, iconX, top + height / 2);
      iconX += 30;
    }
    if (emoji) ctx.fillText(emoji, iconX, top + height / 2 - 1);
    ctx.restore();
  }

  /** Free the tag of key. */
  release(key) {
    const entry = this.drawn.get(key);
    if (!entry) return;
    this.drawn.delete(key);
    this.freeSlots.push(entry.slot);
  }

  /** Show the tags of the given [{key, x, y, z}] (at most TAG_SLOTS, nearest first). */
  place(visible) {
    let n = 0;
    for (const { key, x, y, z } of visible) {
      const entry = this.drawn.get(key);
      if (!entry || n >= TAG_SLOTS) continue;
      this.matrix.makeTranslation(x, y, z);
      this.mesh.setMatrixAt(n, this.matrix);
      const u = (entry.slot % COLUMNS) / COLUMNS;
      const row = Math.floor(entry.slot / COLUMNS);
      // The canvas's top row is the texture's top (flipY), so v counts from the bottom.
      const v = 1 - (row + 1) / ROWS;
      this.slotRects.setXYZW(n, u, v, 1 / COLUMNS, 1 / ROWS);
      n += 1;
    }
    this.mesh.count = n;
    this.mesh.instanceMatrix.needsUpdate = true;
    this.slotRects.needsUpdate = true;
  }
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function drawHand(ctx, x, y, colour) {
  ctx.fillStyle = colour;
  roundRect(ctx, x + 4, y + 14, 20, 20, 6);
  ctx.fill();
  for (let finger = 0; finger < 4; finger++) {
    roundRect(ctx, x + 4 + finger * 5, y + 2, 4, 16, 2);
    ctx.fill();
  }
  roundRect(ctx, x, y + 16, 6, 12, 3);
  ctx.fill();
}

/** A speaker's sound waves: their voice is heard now. */
function drawWaves(ctx, x, y) {
  ctx.strokeStyle = "#ffffff";
  ctx.lineWidth = 3;
  ctx.lineCap = "round";
  for (let w = 0; w < 3; w++) {
    ctx.beginPath();
    ctx.arc(x, y, 5 + w * 7, -0.8, 0.8);
    ctx.stroke();
  }
}

function drawBubble(ctx, x, y) {
  ctx.fillStyle = "#ffffff";
  roundRect(ctx, x, y, 32, 22, 8);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(x + 6, y + 20);
  ctx.lineTo(x + 2, y + 30);
  ctx.lineTo(x + 14, y + 21);
  ctx.fill();
  ctx.fillStyle = "#1c2621";
  for (let d = 0; d < 3; d++) {
    ctx.beginPath();
    ctx.arc(x + 9 + d * 7, y + 11, 2.5, 0, Math.PI * 2);
    ctx.fill();
  }
}
