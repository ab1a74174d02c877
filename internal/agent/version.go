package agent

// Version is the version of the agent built from this tree. The server's
// default minimum agent version (MULTICERT_AGENT_MIN_VERSION) is this, so
// an agent from an older release gets error 3003 (憑證元件需更新).
const Version = "1.0.0"
