// A hand-rolled client: Node's own fetch, with the key but without `anthropic-version`.
// Prints the reply's text (or the error body and exits 1).
const response = await fetch(`${process.env.ANTHROPIC_BASE_URL}/v1/messages`, {
  method: "POST",
  headers: { "x-api-key": process.env.ANTHROPIC_API_KEY, "content-type": "application/json" },
  body: JSON.stringify({
    model: "claude-sonnet-4-6",
    max_tokens: 64,
    messages: [{ role: "user", content: process.argv[2] ?? "Hi" }],
  }),
});
const body = await response.json();
if (!response.ok) {
  console.error(JSON.stringify(body));
  process.exit(1);
}
console.log(body.content[0].text);
