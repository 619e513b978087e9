// The browser client's lint (run by scripts/test.sh): plain ES modules in web-client/js,
// with ESLint's recommended rules and a few that catch real mistakes in this code base.
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    files: ["web-client/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "smart"],
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
    },
  },
  {
    files: ["tools/**/*.mjs", "world/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
    rules: { ...js.configs.recommended.rules },
  },
];
