// Builds page/ into dist/ with the packed package from node_modules.
export default {
  root: new URL("./page", import.meta.url).pathname,
  logLevel: "warn",
  build: { outDir: new URL("./dist", import.meta.url).pathname, emptyOutDir: true, target: "es2022" },
};
