/**
 * The words and phrases that classify a goal, with weights: 2 is a strong
 * signal (it alone classifies), 1 a weak one (it classifies only when no
 * class has a strong signal and it is the only candidate). Patterns run on
 * the normalized goal text, lowercased.
 */
import type { GoalClass } from "@omk/state";

/** `descriptive`: a rule for reports of what happens ("returns 5 instead of 4"), not read in a clause that gives an order ("use X instead of Y"). */
export type SignalRule = { readonly class: Exclude<GoalClass, "mixed">; readonly weight: 1 | 2; readonly pattern: RegExp; readonly descriptive?: boolean };

const FEATURE_NOUNS =
  "(?:flag|option|subcommand|command|endpoint|api|route|page|screen|button|field|parameter|argument|setting|webhook|integration|feature|mode|format|output|report|export|hook|plugin|_flag_|--[a-z][\\w-]*)";
const FEATURE_VERBS = "(?:add|adds|adding|implement|implements|introduce|expose|support|provide|create)";
const LANGUAGES = "(?:typescript|javascript|python|rust|go|golang|java|kotlin|swift|c\\+\\+|c#|ruby|php|esm|es modules|commonjs)";

const r = (cls: SignalRule["class"], weight: 1 | 2, pattern: RegExp): SignalRule => ({ class: cls, weight, pattern });
const described = (cls: SignalRule["class"], weight: 1 | 2, pattern: RegExp): SignalRule => ({ class: cls, weight, pattern, descriptive: true });

/** What an object of "add"/"write" is when the goal is documentation or tests, not a feature: "add examples to the api reference". */
const NOT_FEATURE_OBJECT =
  "(?!\\W+(?:more |some |missing |the |an? )?(?:examples?|docs?|documentation|comments?|docstrings?|jsdoc|tsdoc|notes?|sections?|paragraphs?|faqs?|how-?tos?|guides?|readme|tutorials?|wiki|changelog|[\\w-]+ guide|(?:unit |integration |e2e )?tests?|test coverage|coverage)\\b)";

/**
 * Fourth and fifth rounds (issue 13): verb and phrase classes, each a kind of wording
 * rather than a sentence: phrasal verbs and their synonyms per class,
 * symptom shapes, and the default for a goal that states an expected
 * behaviour. See docs/decisions/planner.md, choice 14.
 */
const FOURTH_ROUND: readonly SignalRule[] = [
  // rewrite: one technology given up for another ("get rid of X, use Y", "drop X in favour of Y"), or moving to a version.
  r(
    "rewrite",
    2,
    /\b(?:get rid of|getting rid of|drop|ditch|remove|replace|phase out|stop using|move away from)\b[^.;]{1,40}?(?:,? (?:and )?(?:use|switch to|move to|go with)\b|\bin favou?r of\b)/u,
  ),
  r(
    "rewrite",
    2,
    /(?<!\b(?:after|since|when|because of|by) )\b(?:move|moving|switch|switching|migrate|upgrade|upgrading|bump|update|port)(?:s|d|ed)? (?:[\w_-]+ ){0,3}?(?:to|onto) (?:[a-z][\w.+-]* )?(?:_version_|v?\d+(?:\.\d+)*)(?!\s*(?:%|ms|s|x|lines?|items?|rows?|seconds?|minutes?))\b/u,
  ),
  r(
    "rewrite",
    2,
    /(?<!\b(?:after|since|when|because of|by) )\b(?:switch|switching|switched|upgrade|upgrading|upgraded)(?: (?:everything|all|us|it|the (?:whole )?(?:project|repo|codebase|app)))? (?:over )?to (?!_path_|_ident_|the (?:top|end|next|previous|new (?:page|tab|screen))\b)[a-z_][\w.+-]*/u,
  ),
  r(
    "rewrite",
    2,
    /\b(?:drop|dropping|remove|removing|end|ending)(?:s|ped)? (?:support for (?:[a-z][\w.+-]* )?(?:_version_|\d+)|(?:[a-z][\w.+-]* )?(?:_version_|\d+) support)\b/u,
  ),
  r("rewrite", 1, /\bstill (?:uses?|on|runs?(?: on)?|targets?|requires?) [a-z][\w.+-]* (?:_version_|v?\d+)\b/u),
  // refactor: phrasal verbs of taking code apart or putting it together, and duplication.
  r(
    "refactor",
    2,
    /\b(?:pull(?:s|ed|ing)?|break(?:s|ing)?|carve(?:s|d)?|factor(?:s|ed)?|split(?:s|ting)?|tease) (?:[\w_-]+ ){0,5}?(?:out|up|apart)\b(?! (?:of memory|to date)\b)/u,
  ),
  r(
    "refactor",
    2,
    /\b(?:pull|move|extract|factor|put|consolidate|gather|collect)\w* (?:[\w_-]+ ){0,6}?into (?:a |an |the |one |its own |their own )?(?:new |separate |single |shared |common |reusable )?(?:[\w_-]+ )?(?:helpers?|modules?|functions?|files?|components?|classes?|services?|hooks?|utils?|utilities|methods?|packages?|base class(?:es)?)\b/u,
  ),
  r(
    "refactor",
    2,
    /\binto (?:smaller |separate |reusable |several |multiple )?(?:components|modules|functions|files|classes|services|helpers|pieces|parts)\b/u,
  ),
  r("refactor", 2, /\b(?:base|parent|super) ?class\b|\bsuperclass\b/u),
  r("refactor", 2, /\b(?:its|their) own (?:module|file|function|class|service|component|helper|hook)s?\b/u),
  r(
    "refactor",
    2,
    /\bduplication\b|\bduplicate(?:d)? (?:code|logic)\b|\b(?:the|this|that|all|some|these) duplicated\b|\bcopy-?past(?:e|ed)\b|\bdedupe\b|\bdry (?:up|it up)\b/u,
  ),
  r(
    "refactor",
    2,
    /\b(?:convert|turn|replace|change|rewrite)\w* (?:[\w_-]+ ){0,6}?(?:to|into|with) (?:a |an )?(?:[\w-]+ )?(?:hooks|functional components?|pure functions?|lookup table|map|dispatch table|strategy pattern|enum|class(?:es)?)\b/u,
  ),
  // feature: wishes and permissions ("it would be nice if", "let admins ...", "should be able to").
  r("feature", 2, /\b(?:it )?would be (?:nice|great|cool|good|helpful|useful|awesome) (?:if|to)\b|\bi wish\b/u),
  r(
    "feature",
    2,
    /^let (?:the |our |all )?(?:users?|admins?|administrators?|people|customers?|visitors?|members?|owners?|maintainers?|me|us|[\w-]+s) (?!down\b|go\b)[a-z]+/u,
  ),
  r("feature", 2, /\bshould be able to\b|\bbe able to\b/u),
  r(
    "feature",
    2,
    /^(?:an? |the )?(?:new )?(?:setting|option|toggle|switch|way|button|shortcut|ability|possibility|config(?:uration)? option) (?:to|for) [a-z]/u,
  ),
  r("feature", 2, /\b(?:a|an|some) (?:way|option|setting|toggle|ability) to (?!the\b)[a-z]+/u),
  r("feature", 2, /^(?:could|can) (?:we|i|you) (?:get|have|add)\b/u),
  // performance: cutting a size or a cost, work repeated on every request.
  r(
    "performance",
    2,
    /\b(?:cut|cuts|reduce[sd]?|reducing|shrink\w*|trim|lower|decrease[sd]?|halve|minimi[sz]e|slim down)\b.{0,30}\b(?:size|footprint|bundle|payload|startup|boot|build time|load time|round[- ]?trips?|requests|queries)\b/u,
  ),
  r("performance", 2, /\b(?:image|bundle|binary|package|install|docker|build|artifact|download) size\b/u),
  r(
    "performance",
    2,
    /\b(?:re-?)?(?:generat|comput|calculat|fetch|load|pars|read|creat|build|built|render|compil|instantiat|open|query|queri)\w* (?:[\w_-]+ ){0,3}?(?:on|for|at) every (?:single )?(?:request|render|call|keystroke|page ?load|frame|iteration|query|scroll|click|run)\b/u,
  ),
  r("performance", 2, /\bonce and (?:re-?use|cache|share|keep)\b/u),
  r("performance", 2, /\btoo (?:slow|heavy|big|large)\b|\bspeed(?:s|ing)? up\b/u),
  r("performance", 2, /\b(?:sluggish|laggy|janky|jank|choppy|stutter(?:s|ing)?)\b|\bvirtuali[sz](?:e|es|ed|ing|ation)\b/u),
  // hardening: checks that never happen, bypasses, restricting what users may do, unauthorised access, data leaks.
  r(
    "hardening",
    2,
    /\b(?:never|not|isn't|aren't|is not|are not|no longer|without being) (?:properly |correctly |actually |even )?(?:checked|validated|verified|sanitized|sanitised|authenticated|authorized|authorised|enforced|signed|hashed)\b/u,
  ),
  r(
    "hardening",
    2,
    /\b(?:doesn't|does not|never|don't|do not) (?:check|verify|validate|sanitize|sanitise)s? (?:the |for |whether |if )?(?:[\w_-]+ ){0,2}?(?:expiry|expiration|signature|permissions?|roles?|origin|ownership|tokens?|input|csrf|auth\w*)\b/u,
  ),
  r("hardening", 2, /\bbypass(?:ed|es|ing)?\b/u),
  r("hardening", 2, /\bun(?:saniti[sz]ed|escaped|validated|trusted)\b|\binject(?:s|ed|ing)? (?:html|js|javascript|scripts?|sql|code|commands?|markup)\b/u),
  r(
    "hardening",
    2,
    /\b(?:check|checks|verify|verifies) (?:that|if|whether) (?:[\w']+ ){0,3}?(?:logged in|signed in|authenticated|an admin|the owner|allowed|authori[sz]ed)\b/u,
  ),
  r(
    "hardening",
    2,
    /\b(?:don't|do not|never|stop|prevent|disallow|forbid|refuse to) (?:let(?:ting)?|allow(?:ing)?) (?:the )?(?:users?|anyone|anybody|people|clients?|visitors?|guests?|attackers?|anonymous \w+|unauthenticated \w+|non-admins?)\b/u,
  ),
  r("hardening", 2, /\b(?:unauthori[sz]ed|unauthenticated|privilege|without (?:being )?(?:logged in|authenticat\w*|authori[sz]\w*|a token|auth))\b/u),
  r("hardening", 2, /\bleak(?:s|ed|ing)? (?:[\w-]+ ){0,2}?(?:data|emails?|info\w*|pii|personal|internal|paths?|stack ?traces?)\b/u),
  // bugfix: symptom shapes ("X does Y twice", "X gives A, should be B", "since the last release", "stops at", "aren't recognised", "no longer").
  described("bugfix", 2, /\btwice\b|\b(?:two|three|several|multiple|many) times\b|\bmore than once\b/u),
  r(
    "bugfix",
    2,
    /\b(?:after|since) (?:upgrading|updating|the upgrade|the update|moving|switching|migrating)\b|\b(?:one|1) (?:more|less|fewer) than (?:i|it|we|you|expected|the)\b/u,
  ),
  r(
    "bugfix",
    2,
    /\bsince (?:the )?(?:last |latest |recent |previous )?(?:release|update|upgrade|version|deploy|_version_)\b|\bsince (?:upgrading|updating)\b/u,
  ),
  r("bugfix", 2, /\bstop(?:s|ped)? (?:at|after|working|responding|halfway)\b|\bsilently\b/u),
  described(
    "bugfix",
    2,
    /\b(?:isn't|aren't|is not|are not|wasn't|weren't|not|never) (?:being |getting )?(?:recogni[sz]ed|detected|found|handled|respected|honou?red|applied|saved|shown|displayed|updated|loaded|triggered|called|sent|picked up|parsed|reset|cleared|closed|removed|deleted|included|copied)\b/u,
  ),
  r(
    "bugfix",
    2,
    /\b(?:gives?|gave|returns?|returned|prints?|printed|shows?|showed|outputs?|produces?|yields?|results? in|becomes?)\b[^.;]{1,80}?,\s*(?:but |while |when |whereas )?(?:it |they |this |that |[\w_-]+ ){0,3}?(?:should|must|needs to|ought to)\b/u,
  ),
  r("bugfix", 2, /\bno longer\b(?! (?:exists?|needed|necessary|used|maintained|supported|required|relevant)\b)/u),
  // The default for a report that states what is expected ("arrays should be concatenated"): a bug in what exists, weakly.
  described("bugfix", 1, /\b(?:should|must|is supposed to|are supposed to|ought to)\b(?! be able\b)/u),
  // The default for a symptom, a report of what does not happen ("X doesn't Y", "can't Y", "won't Y"): a bug, weakly.
  described("bugfix", 1, /\b(?:doesn't|does not|don't|do not|didn't|can't|cannot|can not|won't|isn't|aren't|never) [a-z]+/u),
  // greenfield: a fresh start, or an empty repository named in the text.
  r("greenfield", 2, /\b(?:start|create|set up|setup|init(?:iali[sz]e)?|spin up|begin) (?:a |an )?(?:fresh|blank|empty|brand[- ]new)\b/u),
  r("greenfield", 2, /\bin (?:an|this|the|my|our) (?:empty|blank|new) (?:repo|repository|folder|directory|project)\b|\bfrom nothing\b/u),
  // docs: documentation artefacts even when the verb is "add".
  r("docs", 2, /\b(?:faqs?|how-?tos?|wiki|user manual|handbook|[\w-]+ guide|guides)\b/u),
];

export const SIGNAL_RULES: readonly SignalRule[] = [
  ...FOURTH_ROUND,
  // bugfix
  r("bugfix", 1, /\bfix(?:es|ed|ing)?\b/u),
  r("bugfix", 1, /\bresolve[sd]?\b/u),
  r("bugfix", 1, /(?:^|\s)#\d+\b/u),
  r("bugfix", 1, /\bunexpected(?:ly)?\b/u),
  r("bugfix", 2, /\bbugs?\b/u),
  r("bugfix", 2, /\bcrash(?:es|ed|ing)?\b/u),
  r("bugfix", 2, /\bregression\b/u),
  r("bugfix", 2, /\bbroken\b/u),
  r("bugfix", 2, /\bexceptions?\b/u),
  r("bugfix", 2, /\berrors? (?:when|on|if|while)\b/u),
  r("bugfix", 2, /\bfails? (?:when|to|on|with|if)\b/u),
  r("bugfix", 2, /\bfailing\b/u),
  r("bugfix", 2, /\bincorrect(?:ly)?\b/u),
  r("bugfix", 2, /\bwrong\b/u),
  r("bugfix", 2, /\b(?:doesn't|does not|don't|no longer|isn't|is not|won't|cannot|can't) (?:work|start|load|compile|build|run|parse|open|save)\b/u),
  r("bugfix", 2, /\b(?:hangs?|freezes?|deadlocks?)\b/u),
  r("bugfix", 2, /\b(?:panic(?:s|ked|king)?|segfaults?|off[- ]by[- ]one|memory leak|race condition)\b/u),
  // Descriptive reports: what happens against what should ("returns 5 instead of 4", "should throw but returns").
  described("bugfix", 2, /\b\w+(?:s|ed)\b[^.;]{0,60}\binstead of\b/u),
  described("bugfix", 2, /\b(?:should|must|is supposed to|expected to)\b[^.;]{1,60}\bbut\b/u),
  r("bugfix", 2, /\bexpected\b[^.;]{1,60}\b(?:got|but|actual(?:ly)?)\b/u),
  r(
    "bugfix",
    2,
    /\b(?:returns?|returned|prints?|printed|shows?|showed|outputs?|gives?|gave|displays?|yields?|logs?|is|are|becomes?|became)\b (?:nothing|none|null|nil|undefined|nan|garbage|an? empty|empty)\b/u,
  ),
  r("bugfix", 1, /\bundefined\b|\bnan\b|\[object object\]/u),
  r("bugfix", 2, /\bleak(?:s|ed|ing)? memory\b|\bout of memory\b|\boom(?:[- ]killed)?\b/u),
  r("bugfix", 2, /\b(?:not working|stopped working|no longer works?)\b/u),
  r("bugfix", 2, /\b(?:cannot read propert\w*|is not a function|is not defined|unhandled|uncaught|stack ?trace|traceback)\b/u),
  r("bugfix", 1, /\beven (?:when|if|though)\b/u),
  r("bugfix", 2, /\b(?:does|do|did) nothing\b|\bhas no effect\b|\bnothing happens\b|\boff by (?:a|an|one|\d+)\b/u),
  r("bugfix", 1, /\b(?:is|are) (?:always |sometimes |still )?(?:missing|ignored|lost|duplicated|swallowed)\b/u),
  // feature
  r("feature", 1, new RegExp(`\\b${FEATURE_VERBS}\\b`, "u")),
  r("feature", 1, /\b(?:allow|allows|enable|enables|extend|improve)\b/u),
  r("feature", 2, new RegExp(`\\b${FEATURE_VERBS}\\b${NOT_FEATURE_OBJECT}(?:\\W+[\\w-]+){0,6}?\\W+${FEATURE_NOUNS}s?\\b`, "u")),
  // Conventional-commit prefixes: "feat: ...", "fix(parser): ...", "perf: ...".
  r("feature", 2, /^feat(?:ure)?(?:\([^)]*\))?!?:/u),
  r("performance", 2, /^perf(?:\([^)]*\))?!?:/u),
  r("docs", 2, /^docs?(?:\([^)]*\))?!?:/u),
  r("refactor", 2, /^(?:refactor|test|tests)(?:\([^)]*\))?!?:/u),
  r("hardening", 2, /^security(?:\([^)]*\))?!?:/u),
  r("feature", 2, new RegExp(`\\b(?:remove|removes|drop|drops|delete|deprecate|deprecates)\\b(?:\\W+[\\w-]+){0,6}?\\W+${FEATURE_NOUNS}s?\\b`, "u")),
  r("feature", 2, /\bnew (?:flag|option|command|subcommand|endpoint|feature|page|api|mode|format|setting)s?\b/u),
  r("feature", 2, /\b(?:users?|customers?|people) (?:can|could|should be able to|will be able to)\b/u),
  r("feature", 2, /\[feature(?: request)?\]|\bfeature request\b/u),
  // User stories: "as a user I want to ...".
  r("feature", 2, /\bas an? [\w-]+(?: [\w-]+)?,? (?:i|we) (?:want|would like|need)\b/u),
  r("feature", 2, /\bmake\b[^.;]{1,40}\b(?:accept|support|understand|recogni[sz]e|handle)s?\b/u),
  // greenfield
  r("greenfield", 2, /\bfrom scratch\b/u),
  r("greenfield", 2, /\b(?:scaffold|bootstrap)(?:s|ed|ing)?\b/u),
  r(
    "greenfield",
    2,
    /\b(?:create|build|start|write|make|set up) (?:a |an )?(?:brand[- ])?new (?:[\w+.-]+ ){0,2}(?:project|app|application|service|library|package|cli|tool|website|site|api|server|repo|repository|monorepo|crate|workspace|game)\b/u,
  ),
  r("greenfield", 2, /\b(?:greenfield|new (?:project|repository|repo))\b/u),
  r("greenfield", 2, /\binitial (?:version|implementation|release)\b/u),
  // rewrite, port, migration
  r("rewrite", 2, /\brewrit(?:e|es|ing|ten)\b/u),
  r("rewrite", 2, /\bport(?:s|ed|ing)? (?:[\w-]+ ){0,4}(?:to|from)\b/u),
  r("rewrite", 2, /\bmigrat(?:e|es|ed|ing|ion)\b(?! (?:guide|notes|docs?|instructions|steps)\b)/u),
  r("rewrite", 2, /\bre-?implement(?:s|ed|ing)?\b/u),
  r("rewrite", 2, new RegExp(`\\b(?:convert|translate)(?:s|ed|ing)?\\b.{0,40}\\b(?:to|into) ${LANGUAGES}\\b`, "u")),
  r("rewrite", 2, /\b(?:switch|move)(?:es|ed|ing)? (?:[\w-]+ ){0,3}?(?:from|off) [\w.@/-]+(?: [\w.@/-]+){0,2}? (?:to|onto)\b/u),
  r("rewrite", 2, /\b(?:upgrade|bump)(?:s|d|ing)?\b.{0,30}\b(?:to (?:v|version )?\d+|to _version_|dependenc(?:y|ies)|deps)\b/u),
  r("rewrite", 1, new RegExp(`\\b(?:to|into|in) ${LANGUAGES}\\b`, "u")),
  r("rewrite", 1, /\breplace [\w.@/-]+ with\b/u),
  r("rewrite", 1, /[\w.]+ ?(?:->|→|=>) ?[\w.]+/u),
  // refactor
  r("refactor", 2, /\brefactor(?:s|ed|ing)?\b/u),
  r("refactor", 2, /\brestructur(?:e|es|ed|ing)\b/u),
  r("refactor", 2, /\breorgani[sz](?:e|es|ed|ing|ation)\b/u),
  r("refactor", 2, /\bclean(?:ing)?[- ]?up\b/u),
  r("refactor", 2, /\bsimplif(?:y|ies|ied|ying|ication)\b/u),
  r("refactor", 2, /\b(?:deduplicat|decoupl|modulari[sz])\w*\b/u),
  r("refactor", 2, /\bsplit\b.{0,30}\b(?:into|modules?|files?|functions?|classes?)\b/u),
  r("refactor", 2, /\bwithout changing (?:the |its |any )?(?:external |existing |observable )?behaviou?r\b/u),
  r("refactor", 2, /\b(?:dead code|tech(?:nical)? debt)\b/u),
  // Test-only goals change no behaviour: they are shaped like a refactor (see docs/decisions/planner.md).
  r(
    "refactor",
    2,
    /^(?:please )?(?:add|write|improve|increase|raise) (?:more |missing |the |some )?(?:unit |integration |e2e |end-to-end )?(?:tests?|test coverage|coverage)\b/u,
  ),
  r("refactor", 1, /\b(?:extract|rename|inline|tidy)(?:s|ed|ing)?\b/u),
  r("refactor", 2, /^(?:please )?(?:split|rename|extract|inline|move)\b[^.;]{0,40}_(?:path|ident|code)_/u),
  // hardening, security
  r("hardening", 2, /\bsecur(?:e|ity)\b/u),
  r("hardening", 2, /\bvulnerab\w*/u),
  r("hardening", 2, /\bcve-\d{4}-\d+\b/u),
  r(
    "hardening",
    2,
    /\b(?:xss|csrf|ssrf|xxe|idor|owasp|path traversal|directory traversal|denial of service|open redirect|prototype pollution|redos|remote code execution|rce|clickjacking|timing attack|privilege escalation)\b/u,
  ),
  r("hardening", 2, /(?<!\bdependency )\binjection\b/u),
  r(
    "hardening",
    2,
    /\b(?:leak|leaks|leaked|leaking|log|logs|logged|logging|print|prints|printed|expose|exposes|exposed|store|stores|stored)\b (?:the |a |an |all |user |users' |their )?(?:[\w-]+ ){0,2}(?:api[- ]?keys?|tokens?|passwords?|secrets?|credentials?)\b/u,
  ),
  r("hardening", 2, /\bplain ?text\b[^.;]{0,40}\bpasswords?\b|\bpasswords?\b[^.;]{0,40}\bplain ?text\b|\bbrute[- ]?forc\w*/u),
  r("hardening", 2, /\bsaniti[sz]\w*/u),
  r("hardening", 2, /\bharden\w*/u),
  r("hardening", 2, /\b(?:escape|validate)(?:s|d)? (?:all |the )?(?:user |untrusted |external |redirect )?(?:input|urls?|redirects?|file ?names?|uploads?)\b/u),
  r("hardening", 1, /\b(?:secrets?|credentials?|authori[sz]ation|permissions?|rate[- ]limit\w*|encrypt\w*|unsafe)\b/u),
  // performance
  r("performance", 2, /\bfaster\b/u),
  r("performance", 2, /\bspeed(?:s|ing)?[- ](?:\w+ )?up\b|\bspeedup\b/u),
  r("performance", 2, /\b(?:performance|perf|latency|throughput|benchmarks?)\b/u),
  r("performance", 2, /\boptimi[sz](?:e|es|ed|ing|ation)\b/u),
  r("performance", 2, /\bslow(?:er|ness|ly|s|down)?\b/u),
  r("performance", 2, /\b(?:reduce|cut|lower|decrease|halve)\b.{0,30}\b(?:time|latency|memory|allocations?|cpu|startup|runtime)\b/u),
  r("performance", 2, /\bp(?:9\d|50)\b|\bmemory (?:usage|footprint)\b/u),
  r("performance", 2, /\d+(?:\.\d+)?\s*(?:x|×|times) (?:faster|quicker)\b|\bquicker\b/u),
  r(
    "performance",
    2,
    /\btak(?:es|ing|e) (?:(?:about|around|over|nearly|almost|roughly|up to|more than|~) ?)?(?:forever|ages|too long|so long|a long time|\d+(?:\.\d+)? ?(?:s|ms|sec|secs|seconds?|m|min|mins|minutes?|h|hours?))\b/u,
  ),
  r(
    "performance",
    2,
    /\blazy[- ]?load\w*|\b(?:first (?:contentful )?paint|time to interactive|bundle size|load time|cold start)\b|\bunder \d+(?:\.\d+)? ?(?:ms|s|seconds?)\b/u,
  ),
  r("performance", 2, /\bn ?\+ ?1\b|\btoo many (?:[\w-]+ ){0,2}(?:queries|requests|calls|round[- ]?trips|re-?renders|allocations)\b/u),
  r("performance", 2, /\bquadratic\b|\bo\(n\^?2\)|\bo\(n²\)/u),
  r("performance", 1, /\bcach(?:e|es|ed|ing)\b/u),
  // docs
  r("docs", 2, /\bdocument(?:s|ed|ing|ation)?\b/u),
  r("docs", 2, /\bdocs?\b/u),
  r("docs", 2, /\b(?:readme|docstrings?|jsdoc|tsdoc|changelog|tutorial|api reference|typos?)\b/u),
  r("docs", 2, /\b[\w-]+\.mdx?\b/u),
  r("docs", 1, /\b(?:comments?|guide|manual|examples?)\b/u),
];

export const CLASS_LABELS: Readonly<Record<GoalClass, string>> = {
  greenfield: "new project",
  feature: "feature",
  bugfix: "bug fix",
  rewrite: "rewrite, port or migration",
  refactor: "refactor",
  hardening: "hardening (security)",
  performance: "performance",
  docs: "documentation",
  mixed: "mixed",
};
