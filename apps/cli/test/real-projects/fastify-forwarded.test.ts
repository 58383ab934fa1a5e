// @fastify/forwarded@3.1.2 (node:test, npm): detect, run on HEAD, a planted regression named exactly by compare, and a goal run to
// ready with red → green evidence (suite.ts; the project's pins in test-fixtures/corpus/projects.json).
import { realProjectSuite } from "./suite.js";

realProjectSuite("fastify-forwarded");
