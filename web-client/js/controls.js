/**
 * Input for moving and looking: keyboard, mouse (drag or pointer lock), touch (joystick and
 * drag), and clicks/taps on the floor. It only collects intent; player.js moves the body.
 *
 *   W/S, ArrowUp/ArrowDown   walk forward/back      A/D  step sideways
 *   ArrowLeft/ArrowRight, Q/E  turn                 Shift  walk faster
 *   drag on the view          look around           double-click / L  mouse look (pointer lock)
 *   click or tap the floor    walk there            Esc  leave mouse look
 * Keys only steer while the 3D view (or nothing) has focus, never while typing.
 */

const MOVE_KEYS = {
  KeyW: [0, 1], ArrowUp: [0, 1],
  KeyS: [0, -1], ArrowDown: [0, -1],
  KeyA: [-1, 0], KeyD: [1, 0],
};
const TURN_KEYS = { ArrowLeft: 1, KeyQ: 1, ArrowRight: -1, KeyE: -1 };
const LOOK_SPEED = 0.0025;
const DRAG_THRESHOLD = 6;

export class Controls {
  /**
   * canvas: the 3D view; joystickEl: the on-screen joystick; onFloorClick(clientX, clientY)
   * is called for a click/tap that was not a drag.
   */
  constructor(canvas, joystickEl, onFloorClick) {
    this.canvas = canvas;
    this.joystickEl = joystickEl;
    this.onFloorClick = onFloorClick;
    this.keys = new Set();
    // Keys pressed and released between two frames still count for the next frame.
    this.tapped = new Set();
    this.pressedAt = new Map();
    this.lastRead = performance.now();
    this.lookDelta = { yaw: 0, pitch: 0 };
    this.joystick = { x: 0, y: 0 };
    this.invertLook = false;
    this.enabled = true;
    this.pointers = new Map();
    this.joystickPointer = null;

    window.addEventListener("keydown", (event) => this.keyDown(event));
    window.addEventListener("keyup", (event) => this.keyUp(event));
    window.addEventListener("blur", () => {
      this.keys.clear();
      this.tapped.clear();
    });
    canvas.addEventListener("pointerdown", (event) => this.pointerDown(event));
    canvas.addEventListener("pointermove", (event) => this.pointerMove(event));
    canvas.addEventListener("pointerup", (event) => this.pointerUp(event));
    canvas.addEventListener("pointercancel", (event) => this.pointers.delete(event.pointerId));
    canvas.addEventListener("dblclick", () => this.lockPointer());
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
    document.addEventListener("mousemove", (event) => {
      if (document.pointerLockElement === canvas) this.look(event.movementX, event.movementY);
    });
    joystickEl.addEventListener("pointerdown", (event) => this.joystickDown(event));
    joystickEl.addEventListener("pointermove", (event) => this.joystickMove(event));
    joystickEl.addEventListener("pointerup", () => this.joystickUp());
    joystickEl.addEventListener("pointercancel", () => this.joystickUp());
    if (window.matchMedia("(pointer: coarse)").matches) joystickEl.hidden = false;
  }

  /** Whether the keyboard should steer now (focus on the view or on nothing). */
  keyboardSteers() {
    const active = document.activeElement;
    return this.enabled && (!active || active === document.body || active === this.canvas);
  }

  keyDown(event) {
    if (!this.keyboardSteers() || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.code in MOVE_KEYS || event.code in TURN_KEYS || event.code.startsWith("Shift")) {
      if (!this.keys.has(event.code)) this.pressedAt.set(event.code, performance.now());
      this.keys.add(event.code);
      if (event.code.startsWith("Arrow")) event.preventDefault();
    } else if (event.code === "KeyL" && document.activeElement === this.canvas) {
      this.lockPointer();
    }
  }

  keyUp(event) {
    if (!this.keys.delete(event.code)) return;
    if ((this.pressedAt.get(event.code) ?? 0) > this.lastRead) this.tapped.add(event.code);
  }

  lockPointer() {
    if (document.pointerLockElement === this.canvas || !this.canvas.requestPointerLock) return;
    const request = this.canvas.requestPointerLock();
    if (request && typeof request.catch === "function") request.catch(() => {});
  }

  look(dx, dy) {
    const sign = this.invertLook ? -1 : 1;
    this.lookDelta.yaw -= dx * LOOK_SPEED;
    this.lookDelta.pitch -= dy * LOOK_SPEED * sign;
  }

  pointerDown(event) {
    if (!this.enabled) return;
    this.canvas.focus({ preventScroll: true });
    this.pointers.set(event.pointerId, {
      startX: event.clientX, startY: event.clientY, x: event.clientX, y: event.clientY, dragged: false,
    });
    this.canvas.setPointerCapture?.(event.pointerId);
  }

  pointerMove(event) {
    const pointer = this.pointers.get(event.pointerId);
    if (!pointer || document.pointerLockElement === this.canvas) return;
    const dx = event.clientX - pointer.x;
    const dy = event.clientY - pointer.y;
    pointer.x = event.clientX;
    pointer.y = event.clientY;
    if (!pointer.dragged) {
      const far = Math.hypot(event.clientX - pointer.startX, event.clientY - pointer.startY);
      if (far < DRAG_THRESHOLD) return;
      pointer.dragged = true;
    }
    this.look(dx, dy);
  }

  pointerUp(event) {
    const pointer = this.pointers.get(event.pointerId);
    this.pointers.delete(event.pointerId);
    if (!pointer || pointer.dragged || !this.enabled) return;
    if (document.pointerLockElement === this.canvas) {
      const rect = this.canvas.getBoundingClientRect();
      this.onFloorClick(rect.left + rect.width / 2, rect.top + rect.height / 2);
    } else {
      this.onFloorClick(event.clientX, event.clientY);
    }
  }

  joystickDown(event) {
    this.joystickPointer = event.pointerId;
    this.joystickEl.setPointerCapture?.(event.pointerId);
    this.joystickMove(event);
  }

  joystickMove(event) {
    if (event.pointerId !== this.joystickPointer) return;
    const rect = this.joystickEl.getBoundingClientRect();
    const radius = rect.width / 2;
    let x = (event.clientX - (rect.left + radius)) / radius;
    let y = (event.clientY - (rect.top + radius)) / radius;
    const length = Math.hypot(x, y);
    if (length > 1) {
      x /= length;
      y /= length;
    }
    this.joystick.x = x;
    this.joystick.y = -y;
    const knob = this.joystickEl.firstElementChild;
    knob.style.transform = `translate(${x * radius * 0.6}px, ${y * radius * 0.6}px)`;
  }

  joystickUp() {
    this.joystickPointer = null;
    this.joystick.x = 0;
    this.joystick.y = 0;
    this.joystickEl.firstElementChild.style.transform = "";
  }

  /**
   * This frame's intent: {forward, strafe, turn, fast, lookYaw, lookPitch} with forward and
   * strafe in -1..1; look deltas are consumed (reset) by the call.
   */
  read() {
    let forward = this.joystick.y;
    let strafe = this.joystick.x;
    let turn = 0;
    if (this.keyboardSteers()) {
      for (const code of new Set([...this.keys, ...this.tapped])) {
        if (MOVE_KEYS[code]) {
          strafe += MOVE_KEYS[code][0];
          forward += MOVE_KEYS[code][1];
        }
        if (TURN_KEYS[code]) turn += TURN_KEYS[code];
      }
    }
    const intent = {
      forward: Math.max(-1, Math.min(1, forward)),
      strafe: Math.max(-1, Math.min(1, strafe)),
      turn: Math.max(-1, Math.min(1, turn)),
      fast: ["ShiftLeft", "ShiftRight"].some((code) => this.keys.has(code) || this.tapped.has(code)),
      lookYaw: this.lookDelta.yaw,
      lookPitch: this.lookDelta.pitch,
    };
    this.lookDelta.yaw = 0;
    this.lookDelta.pitch = 0;
    this.tapped.clear();
    this.lastRead = performance.now();
    return intent;
  }
}
