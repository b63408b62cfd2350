// Lint rules for Docket. Formatting is Prettier's job (eslint-config-prettier turns off
// conflicting rules); import direction and cycles are dependency-cruiser's (.dependency-cruiser.cjs).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "data/", "coverage/", "fuzz-failures/", "dist/", "test-output/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-console": "off",
      // The "effect" barrel loads all of its ~250 modules (about 0.15 s per process start under
      // tsx); import the modules used, e.g. `import * as Schema from "effect/Schema"` (ADR 0010).
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "effect", message: 'Import the module instead: "effect/Schema", "effect/Result", …' },
          ],
        },
      ],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
