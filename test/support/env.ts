// Local runs are on Node 20; the SDK's notice about its 2027 Node 22 requirement is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN'; // handlers log a JSON line per request: quiet in tests (test/e2e/logs.test.ts turns it on)
