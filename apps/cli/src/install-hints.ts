/** How to install each preset engine when its command is not on PATH (`omk doctor` and `--engine` say the same). */
export const INSTALL: Readonly<Record<string, string>> = {
  kimi: "npm install -g @moonshot-ai/kimi-code",
  "kimi-wire": "install the legacy Kimi CLI (uv tool install kimi-cli) for `kimi --wire`",
  gemini: "npm install -g @google/gemini-cli",
  claude: "npm install -g @agentclientprotocol/claude-agent-acp (and log in to Claude Code)",
  codex: "npm install -g @zed-industries/codex-acp",
  qwen: "npm install -g @qwen-code/qwen-code",
  copilot: "npm install -g @github/copilot",
};
