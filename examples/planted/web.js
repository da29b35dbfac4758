// Planted issues for the JavaScript rules.
const https = require("https");

const authToken = "Zx81pLq0Wm3nR7tYu2Vb";

function render(items, userInput) {
  let html = "";
  for (const item of items) {
    html += `<li>${item}</li>`;
  }
  const value = eval(userInput);
  https.request({ host: "api.example.com", rejectUnauthorized: false });
  return html + value; // FIXME: escape the items
}

module.exports = { render };
