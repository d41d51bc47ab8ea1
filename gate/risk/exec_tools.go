// Tool runners and package managers that run another command: npx, pipx
// run, bundle exec, poetry run, npm run SCRIPT, yarn prisma …

package risk

// packageRunner handles npx/bunx/pnpx/uvx PKG and pipx run PKG, which
// download a package from the registry unless it is a project tool.
func (a *assessor) packageRunner(name string, args []arg) ([]arg, bool) {
	rest := skipOpts(args, "-p", "--package", "-c", "--spec")
	if name == "pipx" && len(rest) > 0 && rest[0].s == "run" {
		rest = skipOpts(rest[1:], "--spec")
	} else if name == "pipx" {
		return nil, false
	}
	if len(rest) > 0 && !knownTool(rest[0].s) && !localTool(rest[0].s) {
		a.add(CatPackageInstall, LevelLow, "`"+name+" "+rest[0].s+"` downloads and runs a package from the registry")
	}
	return rest, true
}

// toolRun handles "bundle exec", "poetry run", "npm exec --", "yarn prisma …":
// the inner command is a known tool or a project script.
func (a *assessor) toolRun(name string, args []arg, c *ctx) ([]arg, bool) {
	p := positionals(args, "-n", "--name", "-p", "--prefix", "-C", "--cwd", "--filter", "-F", "-w", "--workspace", "-e", "--environment")
	if len(p) == 0 {
		return nil, false
	}
	sub := p[0].s
	switch sub {
	case "exec", "run", "x", "dlx", "shell", "develop":
		return a.toolExec(name, sub, args, p, c), true
	}
	if (name == "yarn" || name == "pnpm" || name == "bun" || name == "npm") && knownTool(sub) {
		return p, true
	}
	return nil, false
}

// toolExec is toolRun for a subcommand that runs something (exec, run, x,
// dlx, shell, develop); p are args' operands, p[0] the subcommand.
func (a *assessor) toolExec(name, sub string, args, p []arg, c *ctx) []arg {
	if name == "npm" || name == "yarn" || name == "pnpm" || name == "bun" {
		if sub == "run" && len(p) > 1 {
			return a.packageScript(name, p[1].s)
		}
	}
	if i := flagIndex(args, "--"); i >= 0 {
		return args[i+1:]
	}
	rest := p[1:]
	if name == "aws-vault" || name == "chamber" || name == "direnv" || name == "conda" && len(rest) > 1 {
		if name != "conda" && len(rest) > 0 {
			rest = rest[1:]
		}
	}
	if v := flagValue(args, "--run", "--command", "-c"); v != "" && (name == "nix-shell" || name == "nix" || name == "devbox") {
		a.script(v, ctx{depth: c.depth + 1, sudo: c.sudo}, false)
		return nil
	}
	return rest
}

// packageScript reports a package.json script, which is not visible here.
func (a *assessor) packageScript(tool, script string) []arg {
	a.opaque(tool + " run " + script)
	return nil
}

// localTool lists packages usually pinned in the project that npx merely
// runs from node_modules.
func localTool(s string) bool {
	switch s {
	case "eslint", "prettier", "tsc", "jest", "vitest", "mocha", "playwright", "cypress", "webpack", "vite", "next", "nx", "turbo", "lerna",
		"semantic-release", "changeset", "ts-node", "tsx", "rollup", "esbuild", "stylelint", "husky", "lint-staged", "commitlint", "cdk", "serverless", "sls",
		"prisma", "knex", "sequelize", "sequelize-cli", "typeorm", "drizzle-kit", "firebase", "vercel", "netlify", "wrangler", "ng", "nuxt", "astro", "storybook", "tailwindcss", "pytest", "ruff", "black":
		return true
	}
	return false
}

// knownTool lists tools that yarn/pnpm often run directly and that have rules.
func knownTool(s string) bool {
	switch s {
	case "prisma", "knex", "sequelize", "sequelize-cli", "typeorm", "cdk", "serverless", "sls", "firebase",
		"vercel", "netlify", "wrangler", "drizzle-kit", "db-migrate", "migrate", "node-pg-migrate", "rimraf", "del-cli":
		return true
	}
	return false
}
