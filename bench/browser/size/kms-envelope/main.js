// The same for kms-envelope: the glue, and the .wasm Vite emits beside it.
import init, { Session } from "kms-envelope";

window.sdk = { init, Session };
