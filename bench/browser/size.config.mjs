// The bundle-size build: one minified page per library (BENCH_SIZE_ENTRY is
// a directory of size/), so each bundle holds only what its page imports.
const entry = process.env.BENCH_SIZE_ENTRY;
if (!entry) throw new Error("BENCH_SIZE_ENTRY is not set");
export default {
  root: new URL(`./size/${entry}`, import.meta.url).pathname,
  logLevel: "warn",
  build: {
    outDir: new URL(`./dist-size/${entry}`, import.meta.url).pathname,
    emptyOutDir: true,
    target: "es2022",
    minify: true,
    assetsInlineLimit: 0,
  },
};
