// pg-platform: read the stack's spec, build its target's components, export the outputs.
import { runProgram } from "./components/program";

export = runProgram();
