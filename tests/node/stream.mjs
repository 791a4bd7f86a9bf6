// messages.stream through the official TypeScript SDK: prints the reply's text as it arrives,
// then, on stderr, how many text deltas it came in.
import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ maxRetries: 0 });
const stream = client.messages.stream({
  model: "claude-sonnet-4-6",
  max_tokens: 64,
  messages: [{ role: "user", content: process.argv[2] ?? "Hi" }],
});
let deltas = 0;
stream.on("text", (text) => {
  deltas += 1;
  process.stdout.write(text);
});
const message = await stream.finalMessage();
process.stdout.write("\n");
console.error(`deltas: ${deltas}, stop_reason: ${message.stop_reason}`);
