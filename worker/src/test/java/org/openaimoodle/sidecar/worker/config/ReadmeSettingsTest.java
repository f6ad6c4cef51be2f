package org.openaimoodle.sidecar.worker.config;

import org.junit.jupiter.api.Test;
import org.openaimoodle.sidecar.common.ReadmeSettingsTable;

/** The README's "## Configuration" table and {@link WorkerSettings} name the same settings with the same defaults. */
class ReadmeSettingsTest {
    @Test
    void theReadmeTableMatchesTheSettingsTableBothWays() {
        ReadmeSettingsTable.assertDocuments(WorkerSettings.ALL, "## Configuration");
    }
}
