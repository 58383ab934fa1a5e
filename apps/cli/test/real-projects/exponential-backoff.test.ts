// exponential-backoff@3.1.3 (TypeScript, jest + ts-jest, npm): detect, run on HEAD, a planted regression named exactly by compare, and a goal run to
// ready with red → green evidence (suite.ts; the project's pins in test-fixtures/corpus/projects.json).
import { realProjectSuite } from "./suite.js";

realProjectSuite("exponential-backoff");
