// Builds the same page with webpack 5 (production mode, default settings
// but for the paths): the package's `browser` condition, its `.wasm`
// reached through `new URL(..., import.meta.url)` as an emitted asset.
export default {
  mode: "production",
  target: "web",
  entry: new URL("./page/main.js", import.meta.url).pathname,
  output: { path: new URL("./dist/webpack", import.meta.url).pathname, filename: "main.js", clean: true },
  performance: { hints: false },
  stats: "errors-warnings",
};
