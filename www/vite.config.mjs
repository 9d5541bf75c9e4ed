// Builds the demo page into dist/ with the kms-envelope package from
// node_modules (installed by `cargo xtask demo` from the built tarball).
export default {
  root: new URL(".", import.meta.url).pathname,
  logLevel: "warn",
  build: { outDir: new URL("./dist", import.meta.url).pathname, emptyOutDir: true, target: "es2022" },
};
