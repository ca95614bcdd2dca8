// Drives mongo-express in headless Chromium (playwright-core): database list, a collection's documents,
// add, edit and delete a document, with a screenshot after each step.
//   node mongo_express_ui.js BASE_URL SCREENSHOT_DIR CHROMIUM_PATH USER_DATA_DIR
// Prints one JSON line: {"steps": [{"name", "screenshot", "text"}...]}. Any failure exits non-zero.
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [base, shots, executablePath, userDataDir] = process.argv.slice(2);
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

async function setEditor(page, transform) {
  await page.waitForSelector('.CodeMirror');
  await page.evaluate((source) => {
    const editors = [...document.querySelectorAll('.CodeMirror')].filter((e) => e.offsetParent !== null);
    const cm = editors[0].CodeMirror;
    cm.setValue(new Function('text', source)(cm.getValue()));
  }, transform);
}

(async () => {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on('dialog', (dialog) => dialog.accept());
  const steps = [];
  async function step(name) {
    const screenshot = path.join(shots, `${String(steps.length + 1).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    steps.push({ name, screenshot, text: await page.innerText('body') });
  }
  const collection = `${base}/db/shop/items`;
  try {
    await page.goto(`${base}/`);
    await step('databases');

    await page.goto(collection);
    await step('documents');

    await page.click('button[data-target="#addDocument"]');
    await page.waitForSelector('#addDocument', { state: 'visible' });
    await setEditor(page, 'return \'{"name": "plum", "qty": 7}\';');
    await Promise.all([page.waitForNavigation(), page.click('#addDocumentForm button[type=submit]')]);
    await step('added');

    await Promise.all([page.waitForNavigation(), page.click('tr:has-text("apple") td:nth-child(2)')]);
    await setEditor(page, 'return text.replace(/qty: 3\\b/, "qty: 30");');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit].pull-right >> nth=0')]);
    await step('edited');

    await page.goto(collection);
    await page.click('tr:has-text("pear") form.deleteButtonDocument button');
    await page.waitForSelector('#confirm-deletion-document #delete', { state: 'visible' });
    await Promise.all([page.waitForNavigation(), page.click('#confirm-deletion-document #delete')]);
    await step('deleted');
    console.log(JSON.stringify({ steps }));
  } finally {
    await context.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
