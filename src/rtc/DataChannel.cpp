#include "rtc/DataChannel.h"

namespace cs {

DataChannel::DataChannel(GstWebRTCDataChannel* channel, MessageHandler onMessage)
    : channel_(GST_WEBRTC_DATA_CHANNEL(gst_object_ref(channel))), onMessage_(std::move(onMessage)) {
  gchar* label = nullptr;
  g_object_get(channel, "label", &label, nullptr);
  GCharPtr owned(label);
  label_ = label ? label : "";
  g_signal_connect(channel, "on-message-string", G_CALLBACK(onMessageString), this);
}

DataChannel::~DataChannel() {
  g_signal_handlers_disconnect_by_data(channel_.get(), this);
}

void DataChannel::send(const std::string& text) noexcept {
  GstWebRTCDataChannelState state;
  g_object_get(channel_.get(), "ready-state", &state, nullptr);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) return;
  g_signal_emit_by_name(channel_.get(), "send-string", text.c_str());
}

void DataChannel::onMessageString(GstWebRTCDataChannel*, const gchar* text, gpointer data) {
  auto* self = static_cast<DataChannel*>(data);
  if (text && self->onMessage_) self->onMessage_(text);
}

}  // namespace cs
