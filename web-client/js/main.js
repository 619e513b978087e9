/**
 * The web client's start: boot (site config and protocol table, start page) and enter (sign
 * in, then the hub). The hub's code (three.js, the world, the realtime visit: hub-app.js) is
 * fetched while the start page is shown, so the page is there before it has loaded.
 */

import { fetchConfig, fetchProtocol, signIn } from "./net/api.js";
import { ProtocolTable } from "./net/protocol.js";
import { appearanceChoicesOf, normaliseLook } from "./avatar-look.js";
import { savedLook, savedPreferences, savedSession, saveLook, saveSession } from "./session.js";
import { installTestHook } from "./test-hook.js";
import { onLanguageChange, preferredLanguage, setLanguage, t, translatePage } from "./ui/i18n.js";
import { applyPreferences } from "./ui/settings.js";
import { StartPage, markLanguage } from "./ui/start-page.js";
import { applySiteColours } from "./ui/theme.js";
import { webglAvailable } from "./world/webgl.js";

const app = {
  phase: "start",
  config: null,
  table: null,
  session: null,
  look: null,
  preferences: savedPreferences(),
  loading: { loaded: 0, total: 0 },
  fps: 0,
};

// --- boot: what the site is, what the protocol says, the start page ----------------------

async function boot() {
  translatePage(document);
  const [config, description] = await Promise.all([fetchConfig(), fetchProtocol()]);
  app.config = config;
  app.table = new ProtocolTable(description);
  applySiteColours(config.site);
  app.reducedMotion = applyPreferences(app.preferences);
  onLanguageChange((lang) => {
    markLanguage(lang);
    document.title = t("app.title", { site: config.site.short_name });
  });

  // A look kept by an older client ({colour, shape: "capsule"}) becomes a whole body.
  const look = normaliseLook(savedLook(), appearanceChoicesOf(app.table.appearance));
  const startPage = new StartPage(config, app.table.appearance, savedSession(), look, enter);
  app.startPage = startPage;
  onLanguageChange(() => startPage.render());
  setLanguage(preferredLanguage(config.site.languages, config.site.default_language));
  installTestHook(app);
  startPage.show();
  // fetched now, while the visitor reads and types; waited for on entering
  app.hub = import("./hub-app.js");
  app.hub.catch(() => {}); // a failure is reported when entering
  if (!webglAvailable()) {
    document.getElementById("start-error").textContent = t("start.noWebgl");
    /** @type {HTMLButtonElement} */ (document.getElementById("enter-button")).disabled = true;
  }
}

// --- enter: sign in, load the world, connect ---------------------------------------------

async function enter(request) {
  const kept = savedSession();
  const body = request.staff
    ? { username: request.staff.username, password: request.staff.password }
    : { name: request.guest.name, ...(kept?.identity?.guest ? { token: kept.token } : {}) };
  const session = await signIn(body);
  saveSession(session);
  saveLook(request.look);
  app.session = session;
  app.look = request.look;
  app.startPage.hide();
  const { loadAndConnect } = await app.hub;
  await loadAndConnect(app);
}

boot().catch((error) => {
  console.warn("hubtwin: start failed", error);
  const message = document.getElementById("start-error");
  message.textContent = t("start.error", { message: error.message });
});


