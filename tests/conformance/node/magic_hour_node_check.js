// Drives the official Magic Hour Node SDK (npm `magic-hour`) against a Darkroom server, unchanged:
// upload a photo, create an upscale, wait and download it, get it, delete it, and provoke a 422.
// Usage: node magic_hour_node_check.js SDK_FOLDER BASE_URL API_KEY IMAGE DOWNLOAD_FOLDER REPORT_FILE
// It writes what each step returned to REPORT_FILE as one JSON object, which the Python test checks.
// The report goes to a file because the SDK logs to stdout.

const fs = require("fs");
const path = require("path");

async function main() {
  const [sdkFolder, baseUrl, apiKey, imagePath, downloadFolder, reportFile] = process.argv.slice(2);
  const sdk = require(path.join(sdkFolder, "node_modules", "magic-hour"));
  const client = new sdk.default({ token: apiKey, baseUrl });
  const report = {};

  report.filePath = await client.v1.files.uploadFile(imagePath);
  // Version 0.43.1 requires style.enhancement; "Resemblance" is Magic Hour's old name for preserve.
  const created = await client.v1.aiImageUpscaler.create({
    assets: { imageFilePath: report.filePath },
    scaleFactor: 2,
    style: { enhancement: "Resemblance" },
  });
  report.created = created;
  report.result = await client.v1.imageProjects.checkResult(
    { id: created.id },
    { waitForCompletion: true, downloadOutputs: true, downloadDirectory: downloadFolder },
  );
  report.got = await client.v1.imageProjects.get({ id: created.id });
  report.deleteResult = await client.v1.imageProjects.delete({ id: created.id });
  report.afterDelete = await client.v1.imageProjects.get({ id: created.id });

  try {
    await client.v1.aiImageUpscaler.create({
      assets: { imageFilePath: report.filePath },
      scaleFactor: 3,
      style: { enhancement: "Balanced" },
    });
    report.invalidCreate = { raised: false };
  } catch (error) {
    report.invalidCreate = { raised: true, status: error.response && error.response.status, message: error.message };
  }
  fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
