package org.openaimoodle.sidecar.supervisor.config;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.common.ReadmeSettingsTable;

/** The README's "### Supervisor settings" table and {@link SupervisorSettings} name the same settings with the same defaults. */
class ReadmeSettingsTest {
    @Test
    void theReadmeTableMatchesTheSettingsTableBothWays() {
        ReadmeSettingsTable.assertDocuments(SupervisorSettings.ALL, "### Supervisor settings");
    }
}
