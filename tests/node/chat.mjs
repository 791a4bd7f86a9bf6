// messages.create through the official TypeScript SDK; prints the reply's text.
// The SDK reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY from the environment.
import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ maxRetries: 0 });
const message = await client.messages.create({
  model: "claude-sonnet-4-6",
  max_tokens: 64,
  messages: [{ role: "user", content: process.argv[2] ?? "Hi" }],
});
console.log(message.content[0].text);
