// "Harmonize selection": the selected melody (one staff) gets the model's other voices in the empty staves
// below it, in one undo step. The steps are in djai_live.js; settings in djai_live.qml (Plugins > djai_live).
import QtQuick 2.0
import QtQuick.Dialogs 1.2
import MuseScore 3.0
import FileIO 3.0
import "djai_live.js" as DjaiLive

MuseScore {
    menuPath: "Plugins.djai_live.Harmonize selection"
    description: "Harmonize the selected melody with djai-live: the other voices go into the empty staves below it."
    version: "0.1.0"
    requiresScore: true

    QProcess { id: shell; property int lastExit: -1; onFinished: lastExit = exitCode }
    FileIO { id: exchange }
    MessageDialog { id: errorBox; title: "djai_live: Harmonize selection"; icon: StandardIcon.Warning }

    onRun: DjaiLive.run("harmonize")
}
