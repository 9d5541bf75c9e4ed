// The browser ESDK's dependencies (asn1.js, safer-buffer) use Node's Buffer,
// as a module and as a global: applications bundle the `buffer` package, as
// this page does. Imported before the SDK so the global exists when it loads.
import { Buffer } from "buffer";

globalThis.Buffer = Buffer;
