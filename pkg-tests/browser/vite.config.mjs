// Builds page/ into dist/vite/ with the packed package from node_modules.
export default {
  root: new URL("./page", import.meta.url).pathname,
  base: "./",
  logLevel: "warn",
  build: { outDir: new URL("./dist/vite", import.meta.url).pathname, emptyOutDir: true, target: "es2022" },
};
