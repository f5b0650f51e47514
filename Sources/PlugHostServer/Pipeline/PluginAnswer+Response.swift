import Hummingbird
import PlugHostPlugins

extension PluginAnswer {
    /// The plugin's answer as the HTTP response the client gets (the outer layers add the host's headers).
    var response: Response {
        Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}
