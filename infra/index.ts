// Pulumi's entry (Pulumi.yaml `main`). The Node.js language host calls an exported function and
// awaits its promise; the resolved object becomes the stack outputs (@pulumi/pulumi cmd/run/run.js).
import { streamstack } from "./program";

export = streamstack;
